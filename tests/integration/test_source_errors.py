"""Bad input in the manifest folder: a file that is not YAML, an object that is not a valid
Kubernetes object. Each is reported (gatehousectl status names the file) and skipped, while every
other object keeps being served.
"""

import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule, to_yaml

NOT_YAML = "kind: Ingress\nmetadata: [unclosed\n  name: oops\n"

# A Service whose ports are not a list: valid YAML, invalid object.
BROKEN_SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "broken-svc", "namespace": "default"},
    "spec": {"ports": "eighty"},
}


class SourceErrorsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")

    def good_world(self):
        return {
            "class.yaml": [ingress_class()],
            "echo.yaml": [*backed_service("echo", self.echo.host, self.echo.port),
                          ingress("one", rules=[rule("one.test", path("/", "Prefix", "echo"))])],
        }

    def status(self, controlplane):
        result = harness.gatehousectl("--server=127.0.0.1:%d" % controlplane.admin, "status")
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_bad_files_and_objects_at_start_are_reported_and_skipped(self):
        manifests = self.manifest_dir(self.good_world())
        manifests.write_text("broken.yaml", NOT_YAML)
        # A file with an invalid object next to a valid one.
        manifests.write_text("mixed.yaml", to_yaml(
            BROKEN_SERVICE,
            ingress("two", rules=[rule("two.test", path("/", "Prefix", "echo"))])))
        controlplane = self.start_controlplane(manifests)
        dataplane, = self.start_dataplanes(controlplane, count=1)

        self.assertEqual(dataplane.routed_to("one.test"), "echo")
        self.assertEqual(dataplane.routed_to("two.test"), "echo")
        status = self.status(controlplane)
        self.assertIn("source errors:", status)
        self.assertIn("broken.yaml", status)
        self.assertIn("mixed.yaml", status)
        self.assertIn("broken-svc", status)

    def test_bad_file_added_at_run_time_is_reported_then_cleared(self):
        manifests = self.manifest_dir(self.good_world())
        controlplane = self.start_controlplane(manifests)
        dataplane, = self.start_dataplanes(controlplane, count=1)
        self.assertNotIn("broken.yaml", self.status(controlplane))

        manifests.write_text("broken.yaml", NOT_YAML)
        harness.wait_until(lambda: "broken.yaml" in self.status(controlplane), 2.0,
                           "gatehousectl status to report broken.yaml", [controlplane.process])
        self.assertEqual(dataplane.routed_to("one.test"), "echo")

        manifests.remove("broken.yaml")
        harness.wait_until(lambda: "broken.yaml" not in self.status(controlplane), 2.0,
                           "broken.yaml to leave gatehousectl status", [controlplane.process])
        self.assertEqual(dataplane.routed_to("one.test"), "echo")

    def test_file_that_turns_malformed_keeps_its_last_objects(self):
        manifests = self.manifest_dir(self.good_world())
        controlplane = self.start_controlplane(manifests)
        dataplane, = self.start_dataplanes(controlplane, count=1)

        manifests.write_text("echo.yaml", NOT_YAML)
        harness.wait_until(lambda: "echo.yaml" in self.status(controlplane), 2.0,
                           "gatehousectl status to report echo.yaml", [controlplane.process])
        self.assertEqual(dataplane.routed_to("one.test"), "echo")


if __name__ == "__main__":
    unittest.main()
