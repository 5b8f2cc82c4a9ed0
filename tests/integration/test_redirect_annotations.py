"""The ingress-nginx redirect annotations through real processes, with curl: each case is written
from ingress-nginx's annotation documentation (user-guide/nginx-configuration/annotations:
"Permanent Redirect", "Permanent Redirect Code", "Temporal Redirect", "App Root", "Redirect
from/to www", "Server-side HTTPS enforcement through redirect") and its e2e tests
(test/e2e/annotations/redirect.go, approot.go, fromtowwwredirect.go, forcesslredirect.go):

- permanent-redirect answers every path with 301 (or permanent-redirect-code) and Location set
  to the URL, nginx's request variables in it expanded; temporal-redirect with 302 (or
  temporal-redirect-code), and it wins when both are set; the upstream never sees the request;
- app-root sends "/" (only) to the path on the same scheme and host with 302;
- from-to-www-redirect sends www.HOST to HOST (and HOST to www.HOST when the rule names the www
  host) with 308, path and query kept;
- force-ssl-redirect sends plain HTTP to HTTPS with 308 even without a certificate;
- the gatehouse.dev/ prefix means the same and wins over nginx's.
"""

import unittest

import harness
from manifests import annotated_site, backed_service, ingress_class

N = "nginx.ingress.kubernetes.io/"


class RedirectAnnotationsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_echo_world(lambda echo: [
            ingress_class(), *backed_service("echo", echo.host, echo.port),
            annotated_site("permanent", "permanent.test",
                           {N + "permanent-redirect": "https://new.example.com$request_uri"}),
            annotated_site("coded", "coded.test",
                           {N + "permanent-redirect": "http://redirect.example.com",
                            N + "permanent-redirect-code": "308"}),
            annotated_site("temporal", "temporal.test",
                           {N + "temporal-redirect": "https://maintenance.example.com"}),
            annotated_site("both", "both.test",
                           {N + "permanent-redirect": "https://p.example.com",
                            N + "temporal-redirect": "https://t.example.com",
                            N + "temporal-redirect-code": "307"}),
            annotated_site("ours", "ours.test",
                           {N + "permanent-redirect": "https://nginx.example.com",
                            "gatehouse.dev/permanent-redirect": "https://ours.example.com"}),
            annotated_site("approot", "approot.test", {N + "app-root": "/foo"}),
            annotated_site("bare", "fromtowww.test", {N + "from-to-www-redirect": "true"}),
            annotated_site("www", "www.towww.test", {N + "from-to-www-redirect": "true"}),
            annotated_site("forcessl", "forcessl.test", {N + "force-ssl-redirect": "true"}),
        ])

    def redirect_of(self, host, target="/"):
        response = self.dataplane.get(host, target)
        return response.status, response.header("Location")

    def test_permanent_and_temporal_redirects(self):
        # curl sends Host without a port here; the unit tests cover a port kept.
        cases = [
            ("permanent.test", "/something?a=1", 301, "https://new.example.com/something?a=1"),
            ("coded.test", "/something", 308, "http://redirect.example.com"),
            ("temporal.test", "/", 302, "https://maintenance.example.com"),
            ("both.test", "/x", 307, "https://t.example.com"),
            ("ours.test", "/", 301, "https://ours.example.com"),
            ("approot.test", "/", 302, "http://approot.test/foo"),
            ("approot.test", "/?q=1", 302, "http://approot.test/foo"),
            ("www.fromtowww.test", "/a/b?c=d", 308, "http://fromtowww.test/a/b?c=d"),
            ("towww.test", "/a", 308, "http://www.towww.test/a"),
            ("forcessl.test", "/p?q", 308, "https://forcessl.test/p?q"),
        ]
        served_before = self.echo_lines()
        for host, target, code, location in cases:
            with self.subTest(host=host, target=target):
                self.assertEqual(self.redirect_of(host, target), (code, location))
        self.assertEqual(self.echo_lines(), served_before)  # none reached the upstream

    def echo_lines(self):
        return sum(1 for line in self.echo.process.log().splitlines() if '"GET ' in line)

    def test_what_is_not_redirected_is_served(self):
        self.assertEqual(self.dataplane.routed_to("approot.test", "/foo"), "echo")
        self.assertEqual(self.dataplane.routed_to("approot.test", "/other"), "echo")
        self.assertEqual(self.dataplane.routed_to("fromtowww.test", "/a"), "echo")
        self.assertEqual(self.dataplane.routed_to("www.towww.test", "/a"), "echo")


if __name__ == "__main__":
    unittest.main()
