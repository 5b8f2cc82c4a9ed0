"""Canary Ingresses through real processes. Reference: ingress-nginx's annotation documentation
("Canary"): with canary "true", a second Ingress for the same host and path takes requests when
the canary-by-header header is "always" (never when it is "never"), when it equals
canary-by-header-value or matches canary-by-header-pattern, when the canary-by-cookie cookie is
"always" (never when "never"), and otherwise canary-weight out of canary-weight-total of them;
header first, then cookie, then weight. The primary's other annotations apply to both.
"""

import http.client
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

N = "nginx.ingress.kubernetes.io/"
REQUESTS = 10000
# The chi-square statistic with one degree of freedom exceeds this with probability 0.001.
CHI_SQUARE_999 = 10.83


def site(name, host, service, annotations, path_value="/"):
    return ingress(name, rules=[rule(host, path(path_value, "Prefix", service))],
                   annotations=annotations)


class CanaryTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def world(echo):
            cls.stable = harness.EchoServer(cls.class_group, "stable", quiet=True)
            cls.canary = harness.EchoServer(cls.class_group, "canary", quiet=True)
            return [
                ingress_class(),
                *backed_service("stable", cls.stable.host, cls.stable.port),
                *backed_service("canary", cls.canary.host, cls.canary.port),
                # Header and cookie, with the weight at 0: only they send to the canary.
                site("rules", "rules.test", "stable",
                     {N + "response-headers": "X-Primary-Filter: seen"}),
                site("rules-canary", "rules.test", "canary",
                     {N + "canary": "true", N + "canary-by-header": "X-Canary",
                      N + "canary-by-cookie": "canary", N + "canary-weight": "0",
                      N + "response-headers": "X-Canary-Filter: seen"}),
                site("valued", "valued.test", "stable", {}),
                site("valued-canary", "valued.test", "canary",
                     {N + "canary": "true", N + "canary-by-header": "X-Region",
                      N + "canary-by-header-value": "eu-west", N + "canary-by-cookie": "canary"}),
                site("patterned", "patterned.test", "stable", {}),
                site("patterned-canary", "patterned.test", "canary",
                     {N + "canary": "true", N + "canary-by-header": "X-Version",
                      N + "canary-by-header-pattern": "^v2\\.[0-9]+$",
                      N + "canary-weight": "100"}),
                site("weighted", "weighted.test", "stable", {}),
                site("weighted-canary", "weighted.test", "canary",
                     {N + "canary": "true", N + "canary-weight": "30"}),
                site("lost-canary", "weighted.test", "canary", {N + "canary": "true"}, "/nowhere"),
            ]
        cls.start_echo_world(world)

    def routed(self, host, headers=None):
        response = self.dataplane.get(host, "/", headers=list((headers or {}).items()))
        return response.echo_server() or "<%d>" % response.status

    def test_the_precedence_table(self):
        # (host, request headers, the backend that must answer), 20 times each.
        rows = [
            ("rules.test", {}, "stable"),
            ("rules.test", {"X-Canary": "always"}, "canary"),
            ("rules.test", {"X-Canary": "never"}, "stable"),
            ("rules.test", {"X-Canary": "never", "Cookie": "canary=always"}, "stable"),
            ("rules.test", {"X-Canary": "maybe", "Cookie": "canary=always"}, "canary"),
            ("rules.test", {"Cookie": "a=b; canary=always"}, "canary"),
            ("rules.test", {"Cookie": "canary=never"}, "stable"),
            ("rules.test", {"Cookie": "canary=yes"}, "stable"),
            ("valued.test", {"X-Region": "eu-west"}, "canary"),
            ("valued.test", {"X-Region": "always"}, "stable"),
            ("valued.test", {"X-Region": "us-east", "Cookie": "canary=always"}, "canary"),
            ("patterned.test", {"X-Version": "v2.13"}, "canary"),
            ("patterned.test", {"X-Version": "v3.1"}, "canary"),  # not matched: weight 100
            ("patterned.test", {}, "canary"),
        ]
        for host, headers, want in rows:
            with self.subTest(host=host, headers=headers):
                for _ in range(20):
                    self.assertEqual(self.routed(host, headers), want)

    def test_the_primarys_filters_apply_to_canary_requests(self):
        response = self.dataplane.get("rules.test", "/", headers=[("X-Canary", "always")])
        self.assertEqual(response.echo_server(), "canary")
        self.assertEqual(response.header("x-primary-filter"), "seen")
        self.assertIsNone(response.header("x-canary-filter"))

    def test_a_weight_of_30_takes_30_percent_of_10000_requests(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.dataplane.http, timeout=10)
        counts = {"stable": 0, "canary": 0}
        try:
            for _ in range(REQUESTS):
                connection.request("GET", "/", headers={"Host": "weighted.test"})
                response = connection.getresponse()
                body = response.read()
                self.assertEqual(response.status, 200, body)
                counts["canary" if b'"server": "canary"' in body else "stable"] += 1
        finally:
            connection.close()
        expected = {"canary": REQUESTS * 0.3, "stable": REQUESTS * 0.7}
        chi_square = sum((counts[k] - expected[k]) ** 2 / expected[k] for k in counts)
        # Refused one time in a thousand by chance: at 10,000 requests, a canary share outside
        # 0.3 +- 0.015 (a bound of 0.01, which this test also had, failed ~3% of fair runs).
        self.assertLess(chi_square, CHI_SQUARE_999, counts)

    def test_a_canary_without_a_primary_says_so(self):
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("canary: no Ingress serves Prefix /nowhere on host weighted.test", status)


if __name__ == "__main__":
    unittest.main()
