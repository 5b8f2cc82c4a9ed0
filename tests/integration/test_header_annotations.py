"""Header annotations through real processes, against an echo server that reports what it
received:

- x-forwarded-prefix (ingress-nginx's annotation documentation, "X-Forwarded-Prefix Header"):
  the upstream gets X-Forwarded-Prefix with the value, whatever the client sent in its place;
- upstream-vhost ("Custom Upstream vhost"): the upstream gets that Host, while X-Forwarded-Host
  keeps the client's;
- gatehouse.dev/request-headers and gatehouse.dev/response-headers: the headers of the YAML map
  are set on the upstream request and on the response;
- configuration-snippet: never interpreted (the header it names is not sent), and the Ingress
  says so.
"""

import unittest

import harness
from manifests import annotated_site, backed_service, ingress_class

N = "nginx.ingress.kubernetes.io/"


class HeaderAnnotationsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_echo_world(lambda echo: [
            ingress_class(), *backed_service("echo", echo.host, echo.port),
            annotated_site("prefix", "prefix.test", {N + "x-forwarded-prefix": "/api"}),
            annotated_site("vhost", "vhost.test", {N + "upstream-vhost": "backend.internal"}),
            annotated_site("maps", "maps.test", {
                "gatehouse.dev/request-headers": "X-Env: prod\nX-Team: shop\n",
                "gatehouse.dev/response-headers": "X-Frame-Options: DENY\n"}),
            annotated_site("snippet", "snippet.test",
                           {N + "configuration-snippet": "more_set_headers \"X-Snippet: 1\";"}),
        ])

    def received(self, host, headers=()):
        response = harness.curl(self.dataplane.url("/"), host=host, headers=headers)
        self.assertEqual(response.status, 200, response.body)
        answer = response.json()
        return response, {name.lower(): value for name, value in answer["headers"]}

    def test_x_forwarded_prefix_replaces_what_the_client_sent(self):
        _, got = self.received("prefix.test", headers=[("X-Forwarded-Prefix", "/spoofed")])
        self.assertEqual(got["x-forwarded-prefix"], "/api")

    def test_upstream_vhost_is_the_host_sent_upstream(self):
        _, got = self.received("vhost.test")
        self.assertEqual(got["host"], "backend.internal")
        self.assertEqual(got["x-forwarded-host"], "vhost.test")

    def test_header_maps_are_set_on_request_and_response(self):
        response, got = self.received("maps.test")
        self.assertEqual(got["x-env"], "prod")
        self.assertEqual(got["x-team"], "shop")
        self.assertEqual(response.header("X-Frame-Options"), "DENY")

    def test_a_snippet_is_never_interpreted_and_is_reported(self):
        response, got = self.received("snippet.test")
        self.assertIsNone(response.header("X-Snippet"))
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("configuration-snippet: raw nginx configuration is never interpreted",
                      status)


if __name__ == "__main__":
    unittest.main()
