"""The processes as operators meet them: health endpoints, readiness, bad flags, gatehousectl
against either process, and a clean stop on SIGTERM.
"""

import json
import re
import socket
import subprocess
import time
import unittest

import harness
from manifests import echo_world, ingress_class

# One sample line of the Prometheus text format: name{labels} value.
METRIC_SAMPLE = re.compile(
    r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([-+]?[0-9.eE+-]+|[-+]?Inf|NaN)( -?[0-9]+)?")


class ProcessesTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")

    def start_world(self, data_planes=1):
        manifests = self.manifest_dir({
            "world.yaml": echo_world(self.echo),
        })
        controlplane = self.start_controlplane(manifests)
        return controlplane, self.start_dataplanes(controlplane, count=data_planes)

    def assert_one_line_error(self, argv):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0, "exit code 0 for %s" % argv)
        lines = result.stderr.strip("\n").split("\n")
        self.assertEqual(len(lines), 1, "want one line on stderr, got:\n" + result.stderr)
        self.assertTrue(lines[0].strip(), "empty error line")
        return lines[0]

    def test_health_endpoints_on_both_processes(self):
        controlplane, (dataplane,) = self.start_world()
        for name, port in [("controlplane", controlplane.health), ("dataplane", dataplane.health)]:
            with self.subTest(process=name):
                self.assertEqual(harness.health_get(port, "/healthz")[0], 200)
                self.assertEqual(harness.health_get(port, "/readyz")[0], 200)
                self.assertEqual(harness.health_get(port, "/no-such-page")[0], 404)
                status, metrics = harness.health_get(port, "/metrics")
                self.assertEqual(status, 200)
                self.assertIn("# TYPE ", metrics)
                for line in metrics.splitlines():
                    if line and not line.startswith("#"):
                        self.assertIsNotNone(METRIC_SAMPLE.fullmatch(line),
                                             "not a Prometheus sample: %r" % line)

    def test_health_answers_while_other_clients_hold_connections_idle(self):
        # Anything that can reach the health port must not be able to fail a liveness probe by
        # connecting and saying nothing, or by trickling a request.
        controlplane, (dataplane,) = self.start_world()
        for name, port in [("controlplane", controlplane.health), ("dataplane", dataplane.health)]:
            with self.subTest(process=name):
                held = []
                for i in range(40):
                    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                    self.addCleanup(sock.close)
                    if i % 2:
                        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x")  # never finished
                    held.append(sock)
                started = time.monotonic()
                self.assertEqual(harness.health_get(port, "/healthz")[0], 200)
                self.assertEqual(harness.health_get(port, "/readyz")[0], 200)
                self.assertLess(time.monotonic() - started, 1.0)
                # Held connections are closed by the exchange deadline (2 s), not kept.
                held[0].settimeout(5)
                self.assertEqual(held[0].recv(100), b"")
                self.assertEqual(held[1].recv(100), b"")

    def test_dataplane_is_ready_only_once_it_has_config(self):
        xds_port = harness.free_port()  # no control plane there yet
        dataplane = harness.DataPlane(self.group, "127.0.0.1:%d" % xds_port, "lonely")
        harness.wait_until(lambda: harness.health_get(dataplane.health, "/healthz")[0] == 200,
                           harness.START_TIMEOUT, "the data plane's /healthz", [dataplane.process])
        self.assertEqual(harness.health_get(dataplane.health, "/readyz")[0], 503)

        # A control plane appearing at that address makes it ready, without a restart.
        manifests = self.manifest_dir({"class.yaml": [ingress_class()]})
        self.start_controlplane(manifests, xds=xds_port)
        harness.wait_until(lambda: harness.health_get(dataplane.health, "/readyz")[0] == 200,
                           20.0, "the data plane to become ready", [dataplane.process])

    def test_json_logs_are_one_object_a_line_on_both_processes(self):
        manifests = self.manifest_dir({"world.yaml": echo_world(self.echo)})
        controlplane = self.start_controlplane(manifests, extra_args=["--log-format=json"])
        dataplane = harness.DataPlane(self.group, controlplane.xds_address, "json-dp",
                                      extra_args=["--log-format=json"])
        dataplane.wait_ready()
        self.assertEqual(dataplane.routed_to("echo.test"), "echo")
        for process in (controlplane.process, dataplane.process):
            lines = [line for line in process.log().splitlines() if line]
            self.assertGreater(len(lines), 2, process.name)
            for line in lines:
                entry = json.loads(line)  # each line one object
                self.assertEqual(set(entry), {"time", "level", "source", "message"}, line)
                self.assertIn(entry["level"], ("debug", "info", "warning", "error"))
                self.assertRegex(entry["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_bad_flags_exit_non_zero_with_one_line(self):
        folder = self.manifest_dir({"class.yaml": [ingress_class()]}).path
        controlplane = harness.controlplane_binary()
        dataplane = harness.dataplane_binary()
        cases = [
            [controlplane, "--source=file:" + folder, "--no-such-flag"],
            [controlplane, "--source=file:" + folder, "--xds-listen=not-an-address"],
            [controlplane, "--source=nowhere:x"],
            [controlplane, "--source=file:" + folder, "--log-level=loud"],
            [controlplane, "--source=file:" + folder, "--log-format=xml"],
            [dataplane, "--xds-server=127.0.0.1:1", "--log-format=yaml"],
            [controlplane, "--source=file:" + folder, "--allowlist-source-range=10.0.0.0/99"],
            [controlplane, "--source=file:" + folder, "--denylist-source-range=evil.example"],
            [controlplane, "--source=file:" + folder, "--limit-req-status-code=302"],
            [controlplane, "--source=file:" + folder, "--limit-conn-status-code=x"],
            [controlplane, "--source=file:" + folder, "--auth-service-namespaces=auth,Bad_NS"],
            [controlplane, "--source=kubernetes", "--kubeconfig=/nonexistent/kubeconfig"],
            [controlplane, "--source=file:" + folder, "--kubeconfig=/nonexistent/kubeconfig"],
            [dataplane, "--xds-server=127.0.0.1:1", "--no-such-flag"],
            [dataplane, "--xds-server=not-an-address"],
            [dataplane, "--xds-server=127.0.0.1:1", "--workers=0"],
            [dataplane, "--xds-server=127.0.0.1:1", "--http-listen=127.0.0.1:99999"],
            [dataplane, "--xds-server=127.0.0.1:1", "--access-log=/nonexistent-dir/access.log"],
            [dataplane, "--xds-server=127.0.0.1:1", "--max-connections=0"],
            [dataplane, "--xds-server=127.0.0.1:1", "--drain-delay=forever"],
            [dataplane, "--xds-server=127.0.0.1:1", "--tls-min-version=1.1"],
            [dataplane, "--xds-server=127.0.0.1:1", "--tls-ciphers=NO-SUCH-CIPHER"],
            [dataplane, "--xds-server=127.0.0.1:1", "--tls-ticket-key-rotation=-1s"],
            [dataplane, "--xds-server=127.0.0.1:1", "--proxy-real-ip-cidr=10.0.0.0/33"],
            [dataplane, "--xds-server=127.0.0.1:1", "--proxy-real-ip-cidr=,"],
            [harness.gatehousectl_binary(), "--no-such-flag", "status"],
            [harness.gatehousectl_binary(), "--server=nonsense", "status"],
            [harness.gatehousectl_binary(), "frobnicate"],
        ]
        for argv in cases:
            with self.subTest(argv=" ".join(argv[1:])):
                self.assert_one_line_error(argv)

    def test_taken_ports_exit_with_one_line_naming_the_flag(self):
        folder = self.manifest_dir({"class.yaml": [ingress_class()]}).path
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            address = "127.0.0.1:%d" % taken.getsockname()[1]
            free = "127.0.0.1:%d"
            cases = [
                ("--xds-listen", [harness.controlplane_binary(), "--source=file:" + folder,
                                  "--xds-listen=" + address,
                                  "--admin-listen=" + free % harness.free_port(),
                                  "--health-listen=" + free % harness.free_port()]),
                ("--admin-listen", [harness.controlplane_binary(), "--source=file:" + folder,
                                    "--xds-listen=" + free % harness.free_port(),
                                    "--admin-listen=" + address,
                                    "--health-listen=" + free % harness.free_port()]),
                ("--http-listen", [harness.dataplane_binary(), "--xds-server=127.0.0.1:1",
                                   "--http-listen=" + address]),
                ("--admin-listen", [harness.dataplane_binary(), "--xds-server=127.0.0.1:1",
                                    "--http-listen=" + free % harness.free_port(),
                                    "--admin-listen=" + address,
                                    "--health-listen=" + free % harness.free_port()]),
            ]
            for flag, argv in cases:
                with self.subTest(argv=" ".join(argv)):
                    line = self.assert_one_line_error(argv)
                    self.assertIn(flag, line)
                    self.assertIn("cannot listen on " + address, line)

    def test_gatehousectl_status_and_config_dump_on_both_processes(self):
        controlplane, (dataplane,) = self.start_world()
        dumps = {}
        for name, port in [("controlplane", controlplane.admin), ("dataplane", dataplane.admin)]:
            with self.subTest(process=name):
                server = "--server=127.0.0.1:%d" % port
                status = harness.gatehousectl(server, "status")
                self.assertEqual(status.returncode, 0, status.stderr)
                self.assertRegex(status.stdout, r"(?m)^component: +%s$" % name)
                self.assertRegex(status.stdout, r"(?m)^ready: +yes$")
                self.assertIn("RouteConfiguration", status.stdout)

                dump = harness.gatehousectl(server, "config-dump")
                self.assertEqual(dump.returncode, 0, dump.stderr)
                dumps[name] = json.loads(dump.stdout)
                clusters = [resource["name"] for resource in resources(dumps[name], "Cluster")]
                self.assertIn("default/echo:80", clusters)
        ingresses = harness.gatehousectl("--server=127.0.0.1:%d" % controlplane.admin, "status")
        self.assertIn("default/echo: accepted", ingresses.stdout)
        # The data plane runs exactly the versions the control plane serves.
        self.assertEqual(versions(dumps["dataplane"]), versions(dumps["controlplane"]))

    def test_proxy_status_lists_every_data_plane_in_sync(self):
        controlplane, dataplanes = self.start_world(data_planes=2)
        server = "--server=127.0.0.1:%d" % controlplane.admin

        def listed():
            result = harness.gatehousectl(server, "proxy-status")
            self.assertEqual(result.returncode, 0, result.stderr)
            rows = [line for line in result.stdout.splitlines() if line.startswith("dataplane-")]
            return len(rows) == 2 and all(row.count("SYNCED") == 4 for row in rows)

        harness.wait_until(listed, 10.0, "both data planes listed as SYNCED on every type",
                           [controlplane.process] + [d.process for d in dataplanes])
        # A data plane knows no data planes: a clear error, not an empty table.
        line = self.assert_one_line_error(
            [harness.gatehousectl_binary(), "--server=127.0.0.1:%d" % dataplanes[0].admin,
             "proxy-status"])
        self.assertIn("is not a control plane", line)

    def test_gatehousectl_reports_unreachable_server(self):
        line = self.assert_one_line_error(
            [harness.gatehousectl_binary(), "--server=127.0.0.1:%d" % harness.free_port(),
             "status"])
        self.assertIn("cannot reach", line)

    def test_sigterm_stops_both_processes_cleanly(self):
        controlplane, (dataplane,) = self.start_world()
        self.assertEqual(dataplane.process.stop(), 0, "data plane exit code after SIGTERM")
        self.assertEqual(controlplane.process.stop(), 0, "control plane exit code after SIGTERM")


def resources(dump, short_type):
    for resource_set in dump.get("sets", []):
        if resource_set.get("type_url", "").endswith("." + short_type):
            return resource_set.get("resources", [])
    return []


def versions(dump):
    return {s.get("type_url"): s.get("version") for s in dump.get("sets", [])}


if __name__ == "__main__":
    unittest.main()
