"""enable-cors and the cors-* annotations through real processes, with curl. References:
ingress-nginx's annotations documentation ("Enable CORS", its defaults) and e2e test
annotations/cors.go (allowed origins echoed, others get nothing; "*" answers "*"); and the Fetch
standard where Gatehouse follows it rather than ingress-nginx: a preflight is an OPTIONS with
Origin and Access-Control-Request-Method; "*" never comes with credentials; an answer that
depends on the Origin says Vary: Origin.
"""

import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

N = "nginx.ingress.kubernetes.io/"


def site(name, **annotations):
    annotations = {N + key: value for key, value in annotations.items()}
    annotations[N + "enable-cors"] = "true"
    return ingress(name, rules=[rule(name + ".test", path("/", "Prefix", "echo"))],
                   annotations=annotations)


PREFLIGHT = [("Access-Control-Request-Method", "PUT"),
             ("Access-Control-Request-Headers", "content-type")]


class CorsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def world(echo):
            return [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                site("open"),
                site("public", **{"cors-allow-credentials": "false",
                                  "cors-expose-headers": "X-Request-Id"}),
                site("listed", **{"cors-allow-origin":
                                  "https://app.example.com, http://*.example.org:8080",
                                  "cors-allow-methods": "GET, PUT",
                                  "cors-max-age": "600"}),
                site("guarded", **{"allowlist-source-range": "10.0.0.0/8",
                                   "cors-allow-origin": "https://app.example.com"}),
                site("secure", **{"force-ssl-redirect": "true",
                                  "cors-allow-origin": "https://app.example.com"}),
            ]
        cls.start_echo_world(world)

    def request(self, host, method="GET", origin=None, headers=()):
        headers = list(headers)
        if origin is not None:
            headers.append(("Origin", origin))
        return self.dataplane.get(host, "/api", method=method, headers=headers)

    def test_an_allowed_origins_preflight_is_answered_by_the_proxy(self):
        response = self.request("listed.test", "OPTIONS", "https://app.example.com", PREFLIGHT)
        self.assertEqual(response.status, 204)
        self.assertIsNone(response.echo_server())
        self.assertEqual(response.body, b"")
        self.assertEqual(response.header("Access-Control-Allow-Origin"),
                         "https://app.example.com")
        self.assertEqual(response.header("Access-Control-Allow-Credentials"), "true")
        self.assertEqual(response.header("Access-Control-Allow-Methods"), "GET, PUT")
        self.assertEqual(response.header("Access-Control-Max-Age"), "600")
        self.assertEqual(response.header("Vary"), "Origin")
        # One label for "*": bar.example.org:8080 is allowed, a.b.example.org:8080 is not.
        response = self.request("listed.test", "OPTIONS", "http://bar.example.org:8080", PREFLIGHT)
        self.assertEqual(response.status, 204)
        response = self.request("listed.test", "OPTIONS", "http://a.b.example.org:8080",
                                PREFLIGHT)
        self.assertEqual((response.status, response.echo_server()), (200, "echo"))
        self.assertIsNone(response.header("Access-Control-Allow-Origin"))

    def test_actual_requests_carry_the_headers_and_vary(self):
        cases = [
            # (host, Origin, expected Allow-Origin, expected Allow-Credentials, expected Vary)
            ("listed.test", "https://app.example.com", "https://app.example.com", "true",
             "Origin"),
            ("listed.test", "https://evil.example.com", None, None, "Origin"),
            ("listed.test", "http://app.example.com", None, None, "Origin"),
            # "*" with cors-allow-credentials true (the default): still "*", never credentialed.
            ("open.test", "https://any.example", "*", None, None),
            ("public.test", "https://any.example", "*", None, None),
            ("public.test", None, "*", None, None),
        ]
        for host, origin, allow, credentials, vary in cases:
            with self.subTest(host=host, origin=origin):
                response = self.request(host, "GET", origin)
                self.assertEqual((response.status, response.echo_server()), (200, "echo"))
                self.assertEqual(response.header("Access-Control-Allow-Origin"), allow)
                self.assertEqual(response.header("Access-Control-Allow-Credentials"), credentials)
                self.assertEqual(response.header("Vary"), vary)
        response = self.request("public.test", "GET", "https://any.example")
        self.assertEqual(response.header("Access-Control-Expose-Headers"), "X-Request-Id")

    def test_preflights_pass_access_control_and_redirects_but_requests_do_not(self):
        # From 127.0.0.1, outside the allow list: the preflight (which carries no credentials)
        # is answered; the request itself is refused, and its 403 still names the origin, so
        # the browser can read it.
        response = self.request("guarded.test", "OPTIONS", "https://app.example.com", PREFLIGHT)
        self.assertEqual(response.status, 204)
        response = self.request("guarded.test", "POST", "https://app.example.com")
        self.assertEqual(response.status, 403)
        self.assertEqual(response.header("Access-Control-Allow-Origin"),
                         "https://app.example.com")
        response = self.request("secure.test", "OPTIONS", "https://app.example.com", PREFLIGHT)
        self.assertEqual(response.status, 204)
        response = self.request("secure.test", "GET", "https://app.example.com")
        self.assertEqual(response.status, 308)

    def test_an_options_that_is_not_a_preflight_goes_upstream(self):
        response = self.request("listed.test", "OPTIONS", "https://app.example.com")
        self.assertEqual((response.status, response.echo_server()), (200, "echo"))
        self.assertEqual(response.header("Access-Control-Allow-Origin"),
                         "https://app.example.com")


if __name__ == "__main__":
    unittest.main()
