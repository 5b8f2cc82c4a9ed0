"""Requests by route on the data plane's /metrics, read with a real Prometheus text-format
parser (python3-prometheus-client). Reference: ingress-nginx's documented request metrics
(nginx_ingress_controller_requests and _request_duration_seconds, _request_size,
_response_size, labelled ingress, namespace, service, status, method and host): Gatehouse
exposes them as gatehouse_ingress_*, with the same labels.

The counts and histogram counts match the traffic sent, per Ingress, Service, method and status;
no client makes a series (10,000 requests with random hosts, paths and methods add none); and
--request-metrics=false turns them off.
"""

import http.client
import random
import subprocess
import unittest

from prometheus_client.parser import text_string_to_metric_families

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

PREFIX = "gatehouse_ingress_"


def scrape(port):
    """{family name: [(sample name, labels, value)]} of the gatehouse_ingress_ families."""
    status, text = harness.health_get(port, "/metrics")
    if status != 200:
        raise AssertionError("/metrics answered %s" % status)
    families = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith(PREFIX):
            families[family.name] = [(s.name, s.labels, s.value) for s in family.samples]
    return families


def value(families, family, sample, **labels):
    """The value of the one sample `sample` of `family` whose labels include `labels`; 0 when
    there is none."""
    found = [v for name, have, v in families.get(family, [])
             if name == sample and all(have.get(k) == str(w) for k, w in labels.items())]
    if len(found) > 1:
        raise AssertionError("%d samples of %s match %s" % (len(found), sample, labels))
    return found[0] if found else 0


def series(families):
    return {(name, tuple(sorted(labels.items())))
            for samples in families.values() for name, labels, _ in samples}


class RequestMetricsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_echo_world(lambda echo: [
            ingress_class(),
            *backed_service("web", echo.host, echo.port),
            *backed_service("api", echo.host, echo.port),
            ingress("shop", rules=[rule("shop.test", path("/", "Prefix", "web"),
                                        path("/api", "Prefix", "api"))]),
        ])

    def send(self, host, target, method="GET", body=None, count=1):
        connection = http.client.HTTPConnection("127.0.0.1", self.dataplane.http, timeout=10)
        try:
            for _ in range(count):
                connection.request(method, target, body=body, headers={"Host": host})
                response = connection.getresponse()
                response.read()
        finally:
            connection.close()

    def h2(self, host, method):
        """One request over h2c (prior knowledge), with any method."""
        subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "--max-time", "10", "-o",
                        "/dev/null", "-X", method, "-H", "Host: " + host,
                        self.dataplane.url("/")],
                       check=True, capture_output=True, timeout=20)

    def test_counts_and_histograms_match_the_traffic_sent(self):
        labels = {"ingress": "shop", "namespace": "default", "host": "shop.test"}
        before = scrape(self.dataplane.health)
        self.send("shop.test", "/", count=5)
        self.send("shop.test", "/api/items", method="POST", body=b"x" * 300, count=3)
        self.send("shop.test", "/__status/503", count=2)
        self.send("shop.test", "/__bytes/50000")
        requests = PREFIX + "requests"
        expected = {("web", "GET", 200): 6, ("api", "POST", 200): 3, ("web", "GET", 503): 2}

        def counted(families):
            return {key: value(families, requests, requests + "_total", **labels,
                               service=key[0], method=key[1], status=key[2])
                    - value(before, requests, requests + "_total", **labels,
                            service=key[0], method=key[1], status=key[2])
                    for key in expected}

        # A request is counted as its stream ends, just after its last byte went out.
        after = harness.wait_until(
            lambda: (lambda f: f if counted(f) == expected else None)(
                scrape(self.dataplane.health)),
            5, "the requests sent to be counted", [self.dataplane.process])

        def delta(family, sample, **more):
            return (value(after, family, sample, **labels, **more)
                    - value(before, family, sample, **labels, **more))

        duration = PREFIX + "request_duration_seconds"
        self.assertEqual(delta(duration, duration + "_count", service="web", method="GET",
                               status=200), 6)
        self.assertEqual(delta(duration, duration + "_bucket", service="web", method="GET",
                               status=200, le="+Inf"), 6)
        self.assertGreater(delta(duration, duration + "_sum", service="web", method="GET",
                                 status=200), 0)
        request_size = PREFIX + "request_size"
        self.assertEqual(delta(request_size, request_size + "_sum", service="api",
                               method="POST", status=200), 900)
        self.assertEqual(delta(request_size, request_size + "_bucket", service="api",
                               method="POST", status=200, le="1000"), 3)
        response_size = PREFIX + "response_size"
        # One 50,000-byte body, between 10 kB and 100 kB.
        self.assertEqual(delta(response_size, response_size + "_bucket", service="web",
                               method="GET", status=200, le="10000"),
                         5)
        self.assertEqual(delta(response_size, response_size + "_bucket", service="web",
                               method="GET", status=200, le="100000"),
                         6)

    def test_no_client_makes_a_series(self):
        # Every kind of request once: the series a client could ever reach exist now. Over
        # HTTP/2 any method reaches a route (as OTHER); over HTTP/1.1 an unknown one is refused.
        for method in ("GET", "POST", "BREW"):
            self.send("shop.test", "/", method=method)
            self.send("unknown.test", "/", method=method)
            self.h2("shop.test", method)
            self.h2("unknown.test", method)
        before = series(scrape(self.dataplane.health))
        chooser = random.Random(11)
        connection = http.client.HTTPConnection("127.0.0.1", self.dataplane.http, timeout=10)
        for i in range(10000):
            host = chooser.choice(["shop.test", "%08x.test" % chooser.getrandbits(32)])
            target = "/%08x/%d" % (chooser.getrandbits(32), i)
            method = chooser.choice(["GET", "POST", "BREW", "X%d" % chooser.getrandbits(16)])
            connection.request(method, target, headers={"Host": host})
            connection.getresponse().read()
        connection.close()
        for i in range(20):
            self.h2(chooser.choice(["shop.test", "h2-%d.test" % i]),
                    "M%d" % chooser.getrandbits(20))
        after = series(scrape(self.dataplane.health))
        self.assertEqual(after - before, set())
        # The unknown hosts are counted under the empty host. (A method the HTTP parser does not
        # know is refused before any route is looked for, and not counted here.)
        families = scrape(self.dataplane.health)
        requests = PREFIX + "requests"
        self.assertGreater(value(families, requests, requests + "_total", host="",
                                 method="GET", status=404), 1000)


class RequestMetricsOffTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_echo_world(lambda echo: [
            ingress_class(), *backed_service("web", echo.host, echo.port),
            ingress("shop", rules=[rule("shop.test", path("/", "Prefix", "web"))])],
            dataplane_args=["--request-metrics=false"])

    def test_nothing_is_counted(self):
        self.assertEqual(self.dataplane.routed_to("shop.test"), "echo")
        self.assertEqual(scrape(self.dataplane.health), {})


if __name__ == "__main__":
    unittest.main()
