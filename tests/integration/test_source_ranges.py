"""allowlist-source-range (whitelist-source-range) and denylist-source-range through real
processes and real requests. Reference: ingress-nginx's annotations documentation ("Whitelist
source range": the CIDRs allowed to reach the location, others get 403; "Denylist source range":
the CIDRs that may not) and its e2e tests annotations/ipwhitelist.go and ipdenylist.go; the
ConfigMap keys of the same names are defaults an annotation replaces.
"""

import unittest

import harness
from manifests import backed_service, ingress_class, nginx_site as site


class SourceRangesTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        def world(echo):
            return [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                site("local", **{"allowlist-source-range": "127.0.0.0/8, ::1"}),
                site("remote", **{"whitelist-source-range": "10.0.0.0/8"}),
                site("denied", **{"denylist-source-range": "127.0.0.1/32"}),
                site("both", **{"allowlist-source-range": "127.0.0.0/8",
                                "denylist-source-range": "127.0.0.1"}),
                site("broken", **{"allowlist-source-range": "127.0.0.0/8,10.0.0.0/40"}),
                site("defaulted"),
                site("lifted", **{"allowlist-source-range": ""}),
            ]
        # The controller-wide default admits no client on this machine.
        cls.start_echo_world(
            world, controlplane_args=["--allowlist-source-range=192.0.2.0/24,2001:db8::/32"])
        with cls.class_logs_on_error():
            cls.behind_lb = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "behind-lb",
                extra_args=["--use-forwarded-headers", "--proxy-real-ip-cidr=127.0.0.0/8"])
            cls.behind_lb.wait_ready()

    def status(self, dataplane, host, headers=()):
        response = dataplane.get(host, "/p", headers=list(headers))
        if response.status == 200:
            self.assertEqual(response.echo_server(), "echo")
        return response.status

    def test_each_list_answers_403_to_the_clients_it_keeps_out(self):
        cases = [
            ("local.test", 200),      # 127.0.0.1 is in 127.0.0.0/8
            ("remote.test", 403),     # not in 10.0.0.0/8
            ("denied.test", 403),
            ("both.test", 403),       # deny is checked before allow
            ("broken.test", 403),     # a list that cannot be read fails closed
            ("defaulted.test", 403),  # the controller's default list
            ("lifted.test", 403),     # an empty annotation is no list: the default stands
        ]
        for host, expected in cases:
            with self.subTest(host=host):
                self.assertEqual(self.status(self.dataplane, host), expected)

    def test_a_refused_request_never_reaches_the_upstream(self):
        response = self.dataplane.get("remote.test", "/never", method="POST", data=b"hello")
        self.assertEqual(response.status, 403)
        self.assertIsNone(response.echo_server())  # the proxy's own answer

    def test_behind_a_trusted_load_balancer_the_forwarded_client_counts(self):
        lb = [("X-Forwarded-For", "10.1.2.3")]
        self.assertEqual(self.status(self.behind_lb, "remote.test", lb), 200)
        self.assertEqual(self.status(self.behind_lb, "local.test", lb), 403)
        self.assertEqual(self.status(self.behind_lb, "defaulted.test",
                                     [("X-Forwarded-For", "2001:db8::7")]), 200)
        # Without --use-forwarded-headers the header chooses nothing.
        self.assertEqual(self.status(self.dataplane, "remote.test", lb), 403)

    def test_the_broken_list_is_reported(self):
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("\"10.0.0.0/40\" has a prefix length that is not 0 to 32; every client is "
                      "refused until it is mended", status)


if __name__ == "__main__":
    unittest.main()
