"""rewrite-target through real processes, against an echo server that reports the path it
received. Reference: ingress-nginx's rewrite documentation (examples/rewrite): with path
"/something(/|$)(.*)" (ImplementationSpecific) and rewrite-target "/$2", "/something" reaches the
upstream as "/", "/something/" as "/" and "/something/new" as "/new"; the query string follows
(nginx's rewrite). Together with x-forwarded-prefix, as the ingress-nginx docs pair them, the
upstream also learns the prefix it lost. Another Ingress on the same host is not affected
(Gatehouse scopes rewrite-target and its implied use-regex to the Ingress that sets it).
"""

import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

N = "nginx.ingress.kubernetes.io/"


class RewriteTargetTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_echo_world(lambda echo: [
            ingress_class(), *backed_service("echo", echo.host, echo.port),
            ingress("rewrite",
                    rules=[rule("rewrite.bar.com",
                                path("/something(/|$)(.*)", "ImplementationSpecific", "echo"))],
                    annotations={N + "rewrite-target": "/$2",
                                 N + "x-forwarded-prefix": "/something"}),
            ingress("neighbour",
                    rules=[rule("rewrite.bar.com", path("/plain", "Prefix", "echo"))]),
        ])

    def upstream_saw(self, target):
        response = self.dataplane.get("rewrite.bar.com", target)
        self.assertEqual(response.status, 200, response.body)
        answer = response.json()
        headers = {name.lower(): value for name, value in answer["headers"]}
        return answer["path"], headers.get("x-forwarded-prefix")

    def test_the_documented_example(self):
        cases = [
            ("/something", "/"),
            ("/something/", "/"),
            ("/something/new", "/new"),
            ("/something/new/deeper?x=1&y=2", "/new/deeper?x=1&y=2"),
            ("/SOMETHING/Case", "/Case"),
        ]
        for target, expected in cases:
            with self.subTest(target=target):
                self.assertEqual(self.upstream_saw(target), (expected, "/something"))

    def test_another_ingress_on_the_host_is_not_rewritten(self):
        self.assertEqual(self.upstream_saw("/plain/x"), ("/plain/x", None))


if __name__ == "__main__":
    unittest.main()
