"""proxy-next-upstream through real processes. Reference: ingress-nginx's annotation documentation
(proxy-next-upstream, -tries, -timeout) and nginx's proxy_next_upstream: the listed failures
(error, timeout, http_502, ...) send the request to the next server; tries bounds the attempts;
a request is not passed on after it was sent when its method is not idempotent, unless
non_idempotent is listed; "off" passes nothing on.

Each Service here has two endpoints on the same port: 127.0.0.1, an echo server that answers
200, and an address of its own where an echo server answers 502 or nothing listens; round robin
sends every other request to the failing one first.
"""

import hashlib
import os
import unittest

import harness
from manifests import endpoint_slice, ingress, ingress_class, path, rule, service

N = "nginx.ingress.kubernetes.io/"
REQUESTS = 20


class NextUpstreamTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Each site has a failing endpoint of its own: the data plane ejects an endpoint after
        # five failures in a row, and one site's failures must not hide another's.
        sites = {
            "retry502": ({N + "proxy-next-upstream": "error timeout http_502"}, 502),
            "plain": ({}, 502),
            "post": ({N + "proxy-next-upstream": "error http_502"}, 502),
            "postok": ({N + "proxy-next-upstream": "error http_502 non_idempotent"}, 502),
            "bigpost": ({N + "proxy-next-upstream": "error http_502 non_idempotent"}, 502),
            "onetry": ({N + "proxy-next-upstream": "http_502",
                        N + "proxy-next-upstream-tries": "1"}, 502),
            "off": ({N + "proxy-next-upstream": "off"}, None),
            "deadok": ({}, None),
            "bad": ({N + "proxy-next-upstream": "error http_999"}, 502),
        }
        addresses = ["127.0.0.%d" % (i + 2) for i in range(len(sites))]
        port = harness.free_port(also_on=addresses)

        def world(echo):
            cls.good = harness.EchoServer(cls.class_group, "good", port=port, quiet=True)
            documents = [ingress_class()]
            for (name, (annotations, failing)), address in zip(sites.items(), addresses):
                if failing:  # else nothing listens there: connecting fails
                    harness.EchoServer(cls.class_group, "broken-" + name, host=address,
                                       port=port, quiet=True, status=failing)
                documents += [
                    service(name, port), endpoint_slice(name, ["127.0.0.1", address], port),
                    ingress(name, rules=[rule(name + ".test", path("/", "Prefix", name))],
                            annotations=annotations)]
            return documents
        cls.start_echo_world(world)

    def statuses(self, host, method="GET", body=None):
        """The status of each of REQUESTS requests, and the answers of the 200s."""
        statuses, answers = [], []
        for _ in range(REQUESTS):
            response = harness.curl(self.dataplane.url("/"), host=host, method=method,
                                    data=body)
            statuses.append(response.status)
            if response.status == 200:
                answers.append(response.json())
        return statuses, answers

    def test_a_listed_status_goes_to_the_next_endpoint(self):
        statuses, answers = self.statuses("retry502.test")
        self.assertEqual(statuses, [200] * REQUESTS)
        self.assertEqual({answer["server"] for answer in answers}, {"good"})

    def test_without_the_annotation_a_502_reaches_the_client(self):
        statuses, _ = self.statuses("plain.test")
        self.assertIn(502, statuses)
        self.assertIn(200, statuses)

    def test_a_post_is_not_sent_again_unless_non_idempotent_is_listed(self):
        body = os.urandom(4096)
        statuses, _ = self.statuses("post.test", "POST", body)
        self.assertIn(502, statuses)
        statuses, answers = self.statuses("postok.test", "POST", body)
        self.assertEqual(statuses, [200] * REQUESTS)
        for answer in answers:  # the second attempt carried the whole body again
            self.assertEqual(answer["body_bytes"], len(body))
            self.assertEqual(answer["body_sha256"], hashlib.sha256(body).hexdigest())

    def test_a_body_too_large_to_keep_is_not_sent_again(self):
        statuses, _ = self.statuses("bigpost.test", "POST", os.urandom(100 * 1024))
        self.assertIn(502, statuses)

    def test_tries_bound_the_attempts(self):
        statuses, _ = self.statuses("onetry.test")
        self.assertIn(502, statuses)

    def test_off_passes_not_even_a_failed_connect_on(self):
        statuses, _ = self.statuses("deadok.test")
        self.assertEqual(statuses, [200] * REQUESTS)
        statuses, _ = self.statuses("off.test")
        self.assertIn(502, statuses)

    def test_an_unknown_failure_is_refused_with_a_reason(self):
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn('proxy-next-upstream: "http_999" is not error, timeout', status)
        statuses, _ = self.statuses("bad.test")
        self.assertIn(502, statuses)  # the default, "error timeout", does not cover 502


if __name__ == "__main__":
    unittest.main()
