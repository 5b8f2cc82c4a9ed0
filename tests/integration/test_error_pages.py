"""custom-http-errors and default-backend through real processes. Reference: ingress-nginx's
annotation documentation ("Custom HTTP Errors", "Default Backend") and its custom error pages
documentation: an upstream answer with a listed code is replaced by the default backend's answer,
which is asked with the headers X-Code, X-Format, X-Original-URI, X-Namespace, X-Ingress-Name,
X-Service-Name, X-Service-Port and X-Request-ID; default-backend alone takes the requests of a
backend without endpoints.
"""

import unittest

import harness
from manifests import (backed_service, endpoint_slice, ingress, ingress_class, path, rule,
                       service)

N = "nginx.ingress.kubernetes.io/"


class ErrorPagesTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def world(echo):
            errors = harness.EchoServer(cls.class_group, "errors")
            return [
                ingress_class(),
                *backed_service("app", echo.host, echo.port),
                *backed_service("errors", errors.host, errors.port),
                service("empty", 8080), endpoint_slice("empty", [], 8080),
                ingress("pages", rules=[rule("pages.test", path("/", "Prefix", "app"))],
                        annotations={N + "custom-http-errors": "404, 503",
                                     N + "default-backend": "errors"}),
                ingress("drained", rules=[rule("drained.test", path("/", "Prefix", "empty"))],
                        annotations={N + "default-backend": "errors"}),
                ingress("orphan", rules=[rule("orphan.test", path("/", "Prefix", "app"))],
                        annotations={N + "custom-http-errors": "404"}),
            ]
        cls.start_echo_world(world)

    def test_a_listed_answer_is_replaced_by_the_default_backends(self):
        response = self.dataplane.get("pages.test", "/__status/404?q=1", method="POST",
                                      headers=[("Accept", "application/json")])
        answer = response.json()
        self.assertEqual(answer["server"], "errors")
        self.assertEqual(response.status, 404)  # the error backend's own answer
        self.assertEqual(answer["method"], "GET")
        headers = {name.lower(): value for name, value in answer["headers"]}
        self.assertEqual(headers["x-code"], "404")
        self.assertEqual(headers["x-format"], "application/json")
        self.assertEqual(headers["x-original-uri"], "/__status/404?q=1")
        self.assertEqual(headers["x-namespace"], "default")
        self.assertEqual(headers["x-ingress-name"], "pages")
        self.assertEqual(headers["x-service-name"], "app")
        self.assertEqual(headers["x-service-port"], "80")
        self.assertTrue(headers["x-request-id"])

    def test_a_client_sent_x_format_before_accept_is_replaced_by_its_accept(self):
        # The client's own X-Format comes first, so setting ours moves the Accept header.
        response = self.dataplane.get("pages.test", "/__status/503", headers=[
            ("X-Format", "forged"), ("X-Code", "200"), ("Accept", "text/plain")])
        headers = {name.lower(): value for name, value in response.json()["headers"]}
        self.assertEqual(headers["x-format"], "text/plain")
        self.assertEqual(headers["x-code"], "503")

    def test_other_answers_pass(self):
        response = self.dataplane.get("pages.test", "/__status/500")
        self.assertEqual((response.status, response.echo_server()), (500, "echo"))
        self.assertEqual(self.dataplane.routed_to("pages.test", "/fine"), "echo")

    def test_a_backend_without_endpoints_goes_to_the_default_backend(self):
        response = self.dataplane.get("drained.test", "/x", method="PUT")
        answer = response.json()
        self.assertEqual((response.status, answer["server"], answer["method"]),
                         (200, "errors", "PUT"))

    def test_codes_without_any_default_backend_are_reported(self):
        self.assertEqual(self.dataplane.get("orphan.test", "/__status/404").status, 404)
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("annotation custom-http-errors: no default-backend annotation and no "
                      "--default-backend", status)


if __name__ == "__main__":
    unittest.main()
