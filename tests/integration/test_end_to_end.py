"""The whole path, end to end (issue 2, item 7): a control plane on a folder of manifests, two data
planes and echo upstreams, checked with curl.

(a) both data planes route to the right upstream by host and path;
(b) a changed file re-routes both within 2 s, without restart;
(c) with the control plane killed, both keep serving;
(d) after it restarts on a changed folder, both resync to its new config.
"""

import time
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

# Routing of the world below, as (Host header, path, echo server expected to answer).
ROUTES = [
    ("app.example.test", "/", "app"),
    ("app.example.test", "/deep/page?x=1", "app"),
    ("app.example.test", "/status", "api"),            # Exact beats the shorter Prefix "/"
    ("app.example.test", "/status/more", "app"),       # Exact is whole-path
    ("APP.Example.TEST:8080", "/status", "api"),       # host: case-insensitive, port ignored
    ("api.example.test", "/v1", "api"),
    ("api.example.test", "/v1/users", "api"),
    ("elsewhere.test", "/shared", "app"),              # the rule without host
    ("elsewhere.test", "/shared/deep", "app"),
    ("elsewhere.test", "/sharedx", "fallback"),        # Prefix matches whole path elements
    ("elsewhere.test", "/", "fallback"),               # the Ingress's defaultBackend
]

# After 20-web.yaml changes app.example.test's Prefix "/" to the fallback service.
ROUTES_AFTER_CHANGE = [
    ("app.example.test", "/", "fallback"),
    ("app.example.test", "/deep/page", "fallback"),
    ("app.example.test", "/status", "api"),
    ("api.example.test", "/v1/users", "api"),
    ("elsewhere.test", "/shared", "app"),
    ("elsewhere.test", "/", "fallback"),
]


class EndToEndTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = {name: harness.EchoServer(cls.class_group, name)
                        for name in ("app", "api", "fallback")}

    def world(self, app_root="app"):
        """The manifests: `app_root` serves app.example.test's Prefix "/"."""
        services = []
        for name, server in self.echo.items():
            services += backed_service(name, server.host, server.port)
        return {
            "00-class.yaml": [ingress_class()],
            "10-services.yaml": services,
            "20-web.yaml": [ingress("web", rules=[
                rule("app.example.test",
                     path("/", "Prefix", app_root),
                     path("/status", "Exact", "api")),
                rule("api.example.test", path("/v1", "Prefix", "api")),
            ])],
            # No ingressClassName: ours through the default class.
            "30-default.yaml": [ingress("default", class_name=None, default_backend="fallback",
                                        rules=[rule(None, path("/shared", "Prefix", "app"))])],
        }

    def start_world(self):
        self.manifests = self.manifest_dir(self.world())
        self.controlplane = self.start_controlplane(self.manifests)
        self.dataplanes = self.start_dataplanes(self.controlplane, count=2)
        self.processes = [self.controlplane.process] + [d.process for d in self.dataplanes]
        self.pids = {p.name: p.pid for p in self.processes}

    def assert_routes(self, routes):
        for dataplane in self.dataplanes:
            for host, request_path, expected in routes:
                with self.subTest(dataplane=dataplane.node_id, host=host, path=request_path):
                    response = dataplane.get(host, request_path)
                    self.assertEqual(response.status, 200, response)
                    self.assertEqual(response.echo_server(), expected, response)

    def wait_all_routed(self, host, request_path, expected, timeout):
        """Waits until every data plane sends host+path to `expected`; returns the seconds taken."""
        start = time.monotonic()
        harness.wait_until(
            lambda: all(d.routed_to(host, request_path) == expected for d in self.dataplanes),
            timeout, "both data planes to send %s%s to %s" % (host, request_path, expected),
            [d.process for d in self.dataplanes])
        return time.monotonic() - start

    def assert_not_restarted(self, processes):
        for process in processes:
            self.assertTrue(process.running(), "%s exited" % process.name)
            self.assertEqual(process.pid, self.pids[process.name], "%s restarted" % process.name)

    def test_a_both_data_planes_route_by_host_and_path(self):
        self.start_world()
        self.assert_routes(ROUTES)
        # Host first: a host with rules never falls back to the paths of the rule without host.
        for dataplane in self.dataplanes:
            self.assertNotEqual(dataplane.routed_to("api.example.test", "/shared"), "app")

    def test_b_changed_file_reroutes_both_within_two_seconds(self):
        self.start_world()
        changed_at = time.monotonic()
        self.manifests.write("20-web.yaml", *self.world(app_root="fallback")["20-web.yaml"])
        harness.wait_until(
            lambda: all(d.routed_to("app.example.test", "/") == "fallback"
                        for d in self.dataplanes),
            2.0 - (time.monotonic() - changed_at),
            "both data planes to send app.example.test/ to fallback within 2 s of the change",
            self.processes)
        self.assert_not_restarted(self.processes)
        self.assert_routes(ROUTES_AFTER_CHANGE)

    def test_b_added_and_removed_files_take_effect_within_two_seconds(self):
        self.start_world()
        self.assertEqual(self.dataplanes[0].routed_to("new.example.test", "/"), "fallback")
        self.manifests.write("40-new.yaml", ingress("new", rules=[
            rule("new.example.test", path("/", "Prefix", "api"))]))
        self.wait_all_routed("new.example.test", "/", "api", 2.0)
        self.manifests.remove("40-new.yaml")
        self.wait_all_routed("new.example.test", "/", "fallback", 2.0)
        self.assert_not_restarted(self.processes)

    def test_c_data_planes_keep_serving_without_control_plane(self):
        self.start_world()
        self.controlplane.process.kill()
        self.assertFalse(self.controlplane.process.running())
        # Keep asking, on new connections, while the data planes lose their stream and retry.
        deadline = time.monotonic() + 2.0
        rounds = 0
        while time.monotonic() < deadline:
            self.assert_routes(ROUTES[:1] + ROUTES[5:6] + ROUTES[-1:])
            rounds += 1
        self.assertGreater(rounds, 1)
        self.assert_routes(ROUTES)
        for dataplane in self.dataplanes:
            self.assertEqual(harness.health_get(dataplane.health, "/readyz")[0], 200,
                             "%s stopped being ready without a control plane" % dataplane.node_id)
        self.assert_not_restarted([d.process for d in self.dataplanes])

    def test_d_restarted_control_plane_resyncs_both_data_planes(self):
        self.start_world()
        old = self.controlplane
        old.process.kill()
        # The folder changes while no control plane runs.
        self.manifests.write("20-web.yaml", *self.world(app_root="fallback")["20-web.yaml"])
        self.manifests.write("40-new.yaml", ingress("new", rules=[
            rule("new.example.test", path("/", "Prefix", "api"))]))
        # The old config still serves meanwhile.
        self.assert_routes(ROUTES[:1])

        self.controlplane = self.start_controlplane(self.manifests, xds=old.xds, admin=old.admin,
                                                    health=old.health)
        # Reconnecting follows the data plane's backoff, so allow more than the 2 s of a change.
        self.wait_all_routed("app.example.test", "/", "fallback", 20.0)
        self.wait_all_routed("new.example.test", "/", "api", 2.0)
        self.assert_routes(ROUTES_AFTER_CHANGE)
        self.assert_not_restarted([d.process for d in self.dataplanes])


if __name__ == "__main__":
    unittest.main()
