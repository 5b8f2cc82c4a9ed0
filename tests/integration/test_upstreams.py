"""How the data plane treats its endpoints: a connection that fails before anything was sent is
retried on another endpoint and a failing endpoint is ejected; an endpoint leaving its Service
under load costs no request; cookie affinity and consistent hashing keep a client on one
endpoint; least request spreads the load.

Each Service has endpoints on one port at several loopback addresses (127.0.0.1, .2, .3), so one
EndpointSlice lists them all.
"""

import collections
import signal
import threading
import time
import unittest

import harness
from manifests import endpoint_slice, ingress, ingress_class, path, rule, service


def servers(responses):
    return [response.echo_server() for response in responses]


class UpstreamsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            # a and b answer; nothing listens on 127.0.0.3 at that port.
            cls.port = harness.free_port(also_on=["127.0.0.2", "127.0.0.3"])
            cls.a = harness.EchoServer(cls.class_group, "a", host="127.0.0.1", port=cls.port)
            cls.b = harness.EchoServer(cls.class_group, "b", host="127.0.0.2", port=cls.port)

    def start(self, ingresses, addresses=("127.0.0.1", "127.0.0.2")):
        self.manifests = self.manifest_dir({
            "world.yaml": [ingress_class(), service("app", self.port)],
            "slice.yaml": [endpoint_slice("app", list(addresses), self.port)],
            "ingress.yaml": ingresses,
        })
        self.controlplane = self.start_controlplane(self.manifests)
        self.dataplane = harness.DataPlane(self.group, self.controlplane.xds_address, "upstreams",
                                           workers=1)
        self.dataplane.wait_ready()

    def sequence(self, host, count, headers=()):
        """`count` GETs on one client connection (so one worker and its balancer)."""
        responses = []
        for i in range(count):
            response = self.dataplane.get(host, "/%d" % i, headers=list(headers))
            self.assertEqual(response.status, 200, response)
            responses.append(response)
        return responses

    def metric(self, name):
        return harness.metric(self.dataplane.health, name) or 0

    def test_connect_failure_is_retried_elsewhere_and_the_dead_endpoint_ejected(self):
        self.start([ingress("app", rules=[rule("app.test", path("/", "Prefix", "app"))])],
                   addresses=("127.0.0.1", "127.0.0.2", "127.0.0.3"))
        responses, _ = harness.curl_sequence(
            [self.dataplane.url("/%d" % i) for i in range(30)], host="app.test")
        self.assertEqual([r.status for r in responses], [200] * 30)
        self.assertEqual(set(servers(responses)), {"a", "b"})
        retries = self.metric("gatehouse_dataplane_upstream_retries_total")
        # Round robin sent every third request to .3 until five failures ejected it.
        self.assertEqual(retries, 5)
        self.assertIn("ejected for 30s after 5 consecutive failures", self.dataplane.process.log())
        responses, _ = harness.curl_sequence(
            [self.dataplane.url("/again-%d" % i) for i in range(30)], host="app.test")
        self.assertEqual([r.status for r in responses], [200] * 30)
        self.assertEqual(self.metric("gatehouse_dataplane_upstream_retries_total"), retries)

    def test_only_idempotent_requests_are_sent_again_after_a_pooled_connection_fails(self):
        # One endpoint: /__close makes the echo server drop the connection without an answer,
        # after a first request left that connection in the pool.
        self.start([ingress("app", rules=[rule("app.test", path("/", "Prefix", "app"))])],
                   addresses=("127.0.0.1",))
        for method, retried in (("GET", 1), ("DELETE", 1), ("POST", 0)):
            with self.subTest(method=method):
                responses, _ = harness.curl_sequence(
                    [self.dataplane.url("/warm-%s" % method)], host="app.test")
                self.assertEqual(responses[0].status, 200)
                before = self.metric("gatehouse_dataplane_upstream_retries_total")
                answer = harness.curl(self.dataplane.url("/__close"), host="app.test",
                                      method=method)
                self.assertEqual(answer.status, 502)
                self.assertEqual(self.metric("gatehouse_dataplane_upstream_retries_total") -
                                 before, retried, "%s sent again %s" % (method, retried))

    def test_an_endpoint_leaving_under_load_fails_no_request(self):
        self.start([ingress("app", rules=[rule("app.test", path("/", "Prefix", "app"))])])
        target = harness.LoadTarget(self.dataplane.http, "app.test", "/steady",
                                    expected={"a", "b"})
        with harness.SteadyLoad([target], keepalive_workers=2, fresh_workers=1,
                                duration=60) as load:
            harness.wait_until(lambda: {r.server for r in load.results()} == {"a", "b"}, 10,
                               "both endpoints to answer")
            # Kubernetes first marks the pod terminating, then the pod goes away.
            load.mark("b terminating")
            self.manifests.write("slice.yaml", endpoint_slice("app", ["127.0.0.1"], self.port),
                                 endpoint_slice("app", ["127.0.0.2"], self.port, ready=False,
                                                name="app-leaving"))
            marked = time.monotonic()
            harness.wait_until(
                lambda: [r.server for r in load.results() if r.start > marked + 0.5][-5:] ==
                ["a"] * 5, 10, "requests to go to a only")
            load.mark("b stops")
            self.b.process.signal(signal.SIGKILL)
            self.b.process.popen.wait()
            time.sleep(1.5)
            load.stop()
            self.assertEqual(load.failures(), [], load.summary())
            after = [r for r in load.results() if r.start > time.monotonic() - 1.0]
            self.assertTrue(after and all(r.server == "a" for r in after), load.summary())
        # Bring b back for the other tests.
        type(self).b = harness.EchoServer(self.class_group, "b", host="127.0.0.2", port=self.port)

    def test_cookie_affinity_keeps_a_client_on_one_endpoint(self):
        self.start([ingress("app", annotations={
            "gatehouse.dev/affinity": "cookie", "gatehouse.dev/session-cookie-name": "route",
            "gatehouse.dev/session-cookie-max-age": "3600"},
            rules=[rule("app.test", path("/", "Prefix", "app"))])])
        first = self.dataplane.get("app.test", "/first")
        cookie = first.header("Set-Cookie")
        self.assertRegex(cookie, r"^route=[0-9a-f]{32}; Path=/; HttpOnly; Max-Age=3600$")
        value = cookie.split(";")[0]
        responses = self.sequence("app.test", 10, headers=[("Cookie", "a=1; " + value)])
        self.assertEqual(set(servers(responses)), {first.echo_server()})
        self.assertTrue(all(r.header("Set-Cookie") is None for r in responses))
        # Other clients, other cookies: both endpoints serve someone.
        spread = {self.dataplane.get("app.test", "/new").echo_server() for _ in range(30)}
        self.assertEqual(spread, {"a", "b"})

    def test_hash_by_header_keeps_a_key_on_one_endpoint(self):
        self.start([ingress("app", annotations={
            "nginx.ingress.kubernetes.io/upstream-hash-by": "$http_x_user"},
            rules=[rule("app.test", path("/", "Prefix", "app"))])])
        owners = {}
        # Which endpoint owns a key depends on the endpoints' ports, new each run: with 20 keys,
        # all on one of two endpoints happens once in 2^19 runs (with 8 it was once in 128).
        for user in ("user-%d" % i for i in range(20)):
            answered = set(servers(self.sequence("app.test", 5, headers=[("X-User", user)])))
            self.assertEqual(len(answered), 1, (user, answered))
            owners[user] = answered.pop()
        self.assertEqual(set(owners.values()), {"a", "b"}, owners)

    def test_least_request_sends_new_requests_away_from_a_busy_endpoint(self):
        self.start([ingress("app", annotations={"gatehouse.dev/load-balance": "least_request"},
                            rules=[rule("app.test", path("/", "Prefix", "app"))])])
        # One slow request holds an endpoint; the quick ones that follow go to the other.
        slow = {}
        thread = threading.Thread(target=lambda: slow.update(
            response=self.dataplane.get("app.test", "/__slow/3000")))
        thread.start()
        time.sleep(0.5)
        quick = servers(self.sequence("app.test", 10))
        thread.join()
        busy = slow["response"].echo_server()
        self.assertEqual(collections.Counter(quick), {({"a", "b"} - {busy}).pop(): 10})

    def test_a_bad_annotation_is_reported_and_round_robin_applies(self):
        self.start([ingress("app", annotations={"gatehouse.dev/load-balance": "fastest"},
                            rules=[rule("app.test", path("/", "Prefix", "app"))])])
        self.assertEqual(set(servers(self.sequence("app.test", 4))), {"a", "b"})
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin, "status")
        self.assertIn("annotation gatehouse.dev/load-balance: \"fastest\" is not round_robin or "
                      "least_request", status.stdout)


if __name__ == "__main__":
    unittest.main()
