"""--use-forwarded-headers, --proxy-real-ip-cidr and --compute-full-forwarded-for through real
processes. Reference: ingress-nginx's ConfigMap documentation (use-forwarded-headers: "If true,
NGINX passes the incoming X-Forwarded-* headers to upstreams"; proxy-real-ip-cidr: the trusted
addresses, default 0.0.0.0/0; compute-full-forwarded-for: append the remote address to
X-Forwarded-For instead of replacing it) and its nginx.tmpl, where without them the upstream gets
X-Forwarded-For and X-Real-IP set to $remote_addr, and where force-ssl-redirect looks at
$pass_access_scheme, X-Forwarded-Proto behind a trusted proxy.
"""

import os
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

N = "nginx.ingress.kubernetes.io/"


def values(headers, name):
    return [value for key, value in headers if key.lower() == name.lower()]


class ForwardedHeadersTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def world(echo):
            return [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                ingress("app", rules=[rule("app.test", path("/", "Prefix", "echo"))]),
                ingress("secure", rules=[rule("secure.test", path("/", "Prefix", "echo"))],
                        annotations={N + "force-ssl-redirect": "true"}),
            ]
        cls.start_echo_world(world, dataplane_args=["--use-forwarded-headers"])
        with cls.class_logs_on_error():
            # The peer (127.0.0.1) is not one of the trusted proxies here.
            cls.distrusting = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "distrusting",
                extra_args=["--use-forwarded-headers", "--proxy-real-ip-cidr=10.0.0.0/8"])
            cls.full = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "full",
                extra_args=["--use-forwarded-headers", "--proxy-real-ip-cidr=127.0.0.0/8,::1",
                            "--compute-full-forwarded-for",
                            "--access-log=" + os.path.join(cls.class_dir, "access.log")])
            cls.distrusting.wait_ready()
            cls.full.wait_ready()

    LB = [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"),
          ("X-Forwarded-Host", "shop.example"), ("X-Forwarded-Port", "443")]

    def test_a_trusted_proxys_view_is_passed_on(self):
        received = self.dataplane.get("app.test", "/", headers=self.LB).json()["headers"]
        self.assertEqual(values(received, "X-Forwarded-For"), ["203.0.113.9"])
        self.assertEqual(values(received, "X-Real-IP"), ["203.0.113.9"])
        self.assertEqual(values(received, "X-Forwarded-Proto"), ["https"])
        self.assertEqual(values(received, "X-Forwarded-Host"), ["shop.example"])
        self.assertEqual(values(received, "X-Forwarded-Port"), ["443"])

    def test_tls_offloaded_in_front_is_not_redirected_again(self):
        # The load balancer terminated TLS and says so: no redirect loop.
        response = self.dataplane.get("secure.test", "/", headers=self.LB)
        self.assertEqual((response.status, response.echo_server()), (200, "echo"))
        response = self.dataplane.get("secure.test", "/x",
                                      headers=[("X-Forwarded-Proto", "http")])
        self.assertEqual(response.status, 308)
        self.assertEqual(response.header("Location"), "https://secure.test/x")

    def test_an_untrusted_peer_is_the_client_whatever_it_says(self):
        received = self.distrusting.get("app.test", "/", headers=self.LB).json()["headers"]
        self.assertEqual(values(received, "X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(values(received, "X-Real-IP"), ["127.0.0.1"])
        self.assertEqual(values(received, "X-Forwarded-Proto"), ["http"])
        self.assertEqual(values(received, "X-Forwarded-Host"), ["app.test"])
        self.assertEqual(self.distrusting.get("secure.test", "/", headers=self.LB).status, 308)

    def test_compute_full_forwarded_for_appends_the_peer(self):
        received = self.full.get("app.test", "/", headers=[
            ("X-Forwarded-For", "198.51.100.1, 203.0.113.9"),
            ("X-Forwarded-For", "127.0.0.2")]).json()["headers"]
        self.assertEqual(values(received, "X-Forwarded-For"),
                         ["198.51.100.1, 203.0.113.9, 127.0.0.2, 127.0.0.1"])
        # The client: the last address that is not a trusted proxy's.
        self.assertEqual(values(received, "X-Real-IP"), ["203.0.113.9"])

    def test_the_access_log_names_the_chosen_client(self):
        path = os.path.join(self.class_dir, "access.log")
        self.full.get("app.test", "/logged", headers=[("X-Forwarded-For", "192.0.2.77")])
        self.assertEqual(harness.access_log_entries(path, "/logged")[0]["client"], "192.0.2.77")


if __name__ == "__main__":
    unittest.main()
