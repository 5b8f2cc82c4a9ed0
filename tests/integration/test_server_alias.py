"""server-alias through real processes. Reference: ingress-nginx's annotation documentation
("Server Alias"): the aliases are served exactly as the Ingress's host; a name that is the host
of an existing server is not taken as an alias (that server keeps it), and the Ingress says so.
"""

import unittest

import harness
from manifests import annotated_site, backed_service, ingress_class

N = "nginx.ingress.kubernetes.io/"


class ServerAliasTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def world(echo):
            other = harness.EchoServer(cls.class_group, "other")
            return [ingress_class(), *backed_service("echo", echo.host, echo.port),
                    *backed_service("other", other.host, other.port),
                    annotated_site("main", "main.test",
                                   {N + "server-alias": "alias.test, taken.test"}),
                    annotated_site("taken", "taken.test", {}, service_name="other")]
        cls.start_echo_world(world)

    def test_an_alias_is_served_as_its_host_and_a_taken_name_stays_with_its_host(self):
        self.assertEqual(self.dataplane.routed_to("alias.test", "/x"), "echo")
        self.assertEqual(self.dataplane.routed_to("ALIAS.test:80", "/"), "echo")
        self.assertEqual(self.dataplane.routed_to("taken.test"), "other")
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("annotation server-alias: taken.test is a host of its own", status)


if __name__ == "__main__":
    unittest.main()
