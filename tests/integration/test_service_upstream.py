"""service-upstream through real processes. Reference: ingress-nginx's annotation documentation
("Service Upstream"): with "true", the upstream is the Service's Cluster IP and port rather than
the list of its endpoints. Here the "ClusterIP" is 127.0.0.2, where one echo server listens at
the Service's port, and the endpoints are another echo server: which one answers shows which
address the data plane used.
"""

import unittest

import harness
from manifests import endpoint_slice, ingress, ingress_class, path, rule, service

N = "nginx.ingress.kubernetes.io/"


class ServiceUpstreamTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def world(echo):
            cls.cluster_ip = harness.EchoServer(cls.class_group, "cluster-ip", host="127.0.0.2")
            port = cls.cluster_ip.port
            return [
                ingress_class(),
                # The Service port equals the "ClusterIP" echo's port; its endpoint is `echo`.
                service("web", echo.port, cluster_ip="127.0.0.2", port=port),
                endpoint_slice("web", [echo.host], echo.port),
                service("headless", echo.port, cluster_ip="None", port=port),
                endpoint_slice("headless", [echo.host], echo.port),
                ingress("via-service", rules=[rule("service.test", path("/", "Prefix", "web"))],
                        annotations={N + "service-upstream": "true"}),
                ingress("via-endpoints", rules=[rule("pods.test", path("/", "Prefix", "web"))]),
                ingress("headless", rules=[rule("headless.test", path("/", "Prefix", "headless"))],
                        annotations={N + "service-upstream": "true"}),
            ]
        # The Ingresses name the Service port, which is the "ClusterIP" echo's port.
        cls.start_echo_world(lambda echo: [
            *(doc if doc.get("kind") != "Ingress" else _with_port(doc, cls.cluster_ip.port)
              for doc in world(echo))])

    def test_the_annotation_sends_to_the_cluster_ip_and_its_absence_to_the_endpoints(self):
        for _ in range(5):
            self.assertEqual(self.dataplane.routed_to("service.test"), "cluster-ip")
            self.assertEqual(self.dataplane.routed_to("pods.test"), "echo")

    def test_a_headless_service_keeps_its_endpoints_and_says_so(self):
        self.assertEqual(self.dataplane.routed_to("headless.test"), "echo")
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("annotation service-upstream: Service default/headless has no ClusterIP", status)


def _with_port(document, port):
    for each_rule in document["spec"].get("rules", []):
        for each_path in each_rule["http"]["paths"]:
            each_path["backend"]["service"]["port"]["number"] = port
    return document


if __name__ == "__main__":
    unittest.main()
