"""The data plane as an HTTP/1.1 reverse proxy: status codes of its own, what reaches the
upstream, what comes back, bodies in both directions, keep-alive and round robin.

One control plane and one data plane (two workers) serve the whole class; no test changes the
manifests.
"""

import json
import os
import re
import unittest

import harness
from harness import pattern_bytes, sha256
from manifests import backed_service, endpoint_slice, ingress, ingress_class, path, rule, service


class ProxyTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            group = cls.class_group
            echo = harness.EchoServer(group, "echo")
            named = harness.EchoServer(group, "named", server_header="upstream-server/1.0")
            # Two endpoints of one Service: one port, two loopback addresses, one EndpointSlice.
            rr_port = harness.free_port(also_on=["127.0.0.2"])
            harness.EchoServer(group, "rr-a", host="127.0.0.1", port=rr_port)
            harness.EchoServer(group, "rr-b", host="127.0.0.2", port=rr_port)
            nothing_listens = harness.free_port()

            hosts = {"echo.test": "echo", "named.test": "named", "rr.test": "rr",
                     "notready.test": "notready", "noslice.test": "noslice",
                     "dead.test": "dead"}
            manifests = harness.ManifestDir(os.path.join(cls.class_dir, "manifests"))
            manifests.write_world({
                "class.yaml": [ingress_class()],
                "services.yaml": [
                    *backed_service("echo", echo.host, echo.port),
                    *backed_service("named", named.host, named.port),
                    service("rr", rr_port),
                    endpoint_slice("rr", ["127.0.0.1", "127.0.0.2"], rr_port),
                    # Its one endpoint works, but is not ready: must not be used.
                    *backed_service("notready", echo.host, echo.port, ready=False),
                    service("noslice", echo.port),
                    *backed_service("dead", "127.0.0.1", nothing_listens),
                ],
                "ingress.yaml": [ingress("proxy", rules=[
                    *[rule(host, path("/", "Prefix", svc)) for host, svc in hosts.items()],
                    rule("paths.test", path("/exact", "Exact", "echo"),
                         path("/prefix", "Prefix", "echo")),
                ])],
            })
            cls.controlplane = harness.ControlPlane(group, manifests.path)
            cls.controlplane.wait_ready()
            cls.dataplane = harness.DataPlane(group, cls.controlplane.xds_address, "dataplane-1")
            cls.dataplane.wait_ready()

    def get(self, host, request_path="/", **kwargs):
        return self.dataplane.get(host, request_path, **kwargs)

    def echoed(self, host, request_path="/", **kwargs):
        """A request that must reach an echo server; returns the echo's JSON answer."""
        response = self.get(host, request_path, **kwargs)
        self.assertEqual(response.status, 200, response)
        return response.json()

    # --- the proxy's own answers ---

    def test_no_matching_route_is_404(self):
        for host, request_path in [("unknown.test", "/"), ("paths.test", "/other"),
                                   ("paths.test", "/exact/more"), ("paths.test", "/prefixmore")]:
            with self.subTest(host=host, path=request_path):
                response = self.get(host, request_path)
                self.assertEqual(response.status, 404, response)
                self.assertIsNone(response.echo_server())
        # The same host does route what its rules match.
        self.assertEqual(self.echoed("paths.test", "/exact")["server"], "echo")
        self.assertEqual(self.echoed("paths.test", "/prefix/more")["server"], "echo")

    def test_no_ready_endpoint_is_503(self):
        for host in ("notready.test", "noslice.test"):
            with self.subTest(host=host):
                response = self.get(host, "/")
                self.assertEqual(response.status, 503, response)
                self.assertIsNone(response.echo_server())

    def test_unreachable_upstream_is_502(self):
        response = self.get("dead.test", "/")
        self.assertEqual(response.status, 502, response)

    def test_upstream_closing_without_answer_is_502(self):
        response = self.get("echo.test", "/__close")
        self.assertEqual(response.status, 502, response)
        # The broken upstream connection is not reused for the next request.
        self.assertEqual(self.echoed("echo.test", "/after-close")["server"], "echo")

    # --- what reaches the upstream ---

    def test_method_uri_host_and_headers_reach_upstream_unchanged(self):
        uri = "/a/b%20c/?q=1&r=x%2Fy&empty=&q=2"
        headers = [("X-Custom", "Value  with  spaces"), ("X-Dup", "one"), ("X-Dup", "two"),
                   ("Accept", "application/json"), ("User-Agent", "gatehouse-test/1")]
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            with self.subTest(method=method):
                answer = self.echoed("echo.test:8080", uri, method=method, headers=headers)
                self.assertEqual(answer["method"], method)
                self.assertEqual(answer["path"], uri)
                received = answer["headers"]
                self.assertEqual(values(received, "Host"), ["echo.test:8080"])
                self.assertEqual(values(received, "X-Custom"), ["Value  with  spaces"])
                self.assertEqual(values(received, "X-Dup"), ["one", "two"])
                self.assertEqual(values(received, "Accept"), ["application/json"])
                self.assertEqual(values(received, "User-Agent"), ["gatehouse-test/1"])

    def test_forwarded_headers_are_added(self):
        received = self.echoed("echo.test")["headers"]
        self.assertEqual(values(received, "X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(values(received, "X-Real-IP"), ["127.0.0.1"])
        self.assertEqual(values(received, "X-Forwarded-Proto"), ["http"])
        # Without --use-forwarded-headers, what a client says of itself is dropped: the upstream
        # sees the client's address alone, as ingress-nginx sends $remote_addr.
        received = self.echoed("echo.test", headers=[
            ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-For", "198.51.100.2"),
            ("X-Real-IP", "203.0.113.8")])["headers"]
        self.assertEqual(values(received, "X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(values(received, "X-Real-IP"), ["127.0.0.1"])

    def test_forwarded_host_and_port_are_the_proxys_view(self):
        received = self.echoed("echo.test:8443", headers=[
            ("X-Forwarded-Host", "spoofed.example"), ("X-Forwarded-Port", "1"),
            ("X-Forwarded-Proto", "https")])["headers"]
        self.assertEqual(values(received, "X-Forwarded-Host"), ["echo.test:8443"])
        self.assertEqual(values(received, "X-Forwarded-Port"), [str(self.dataplane.http)])
        self.assertEqual(values(received, "X-Forwarded-Proto"), ["http"])

    def test_request_id_is_generated_when_absent_and_kept_when_present(self):
        uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        ids = set()
        for _ in range(20):
            received = values(self.echoed("echo.test")["headers"], "X-Request-Id")
            self.assertEqual(len(received), 1, received)
            self.assertRegex(received[0], uuid4)
            ids.add(received[0])
        self.assertEqual(len(ids), 20)  # a new one for every request
        received = self.echoed("echo.test", headers=[("X-Request-Id", "client-chosen-42")])
        self.assertEqual(values(received["headers"], "X-Request-Id"), ["client-chosen-42"])

    # --- what comes back ---

    def test_server_header_added_only_when_upstream_sent_none(self):
        added = self.get("echo.test").header_values("Server")
        self.assertEqual(len(added), 1, added)
        self.assertTrue(added[0])
        kept = self.get("named.test").header_values("Server")
        self.assertEqual(kept, ["upstream-server/1.0"])

    def test_large_response_streams_back_intact(self):
        size = 8 * 1024 * 1024 + 13
        response = self.get("echo.test", "/__bytes/%d" % size)
        self.assertEqual(response.status, 200)
        self.assertEqual(len(response.body), size)
        self.assertEqual(sha256(response.body), sha256(pattern_bytes(size)))
        self.assertEqual(response.header("X-Echo-Body-Sha256"), sha256(response.body))

    # --- request bodies ---

    def test_content_length_request_body_arrives_intact(self):
        body = os.urandom(3 * 1024 * 1024 + 7)
        answer = self.echoed("echo.test", "/upload", method="POST", data=body)
        self.assertEqual(answer["body_bytes"], len(body))
        self.assertEqual(answer["body_sha256"], sha256(body))

    def test_chunked_request_body_arrives_intact(self):
        body = os.urandom(3 * 1024 * 1024 + 7)
        answer = self.echoed("echo.test", "/upload", method="PUT", data=body, chunked=True)
        self.assertEqual(answer["body_bytes"], len(body))
        self.assertEqual(answer["body_sha256"], sha256(body))

    # --- connections ---

    def test_client_connection_is_kept_alive(self):
        responses, new_connections = harness.curl_sequence(
            [self.dataplane.url("/one"), self.dataplane.url("/two")], host="echo.test")
        self.assertEqual([r.status for r in responses], [200, 200])
        self.assertEqual(new_connections, [1, 0], "curl opened a new connection for request 2")
        self.assertIn("Re-using existing connection", responses[1].stderr)

    def test_upstream_connection_is_reused(self):
        responses, _ = harness.curl_sequence(
            [self.dataplane.url("/one"), self.dataplane.url("/two")], host="echo.test")
        first, second = (json.loads(r.body) for r in responses)
        self.assertEqual(second["connection"], first["connection"],
                         "the second request reached the upstream on a new connection")
        self.assertEqual(second["request_on_connection"], first["request_on_connection"] + 1)

    def test_round_robin_over_two_endpoints(self):
        # One client connection, so one worker and its one load balancer answer every request.
        responses, _ = harness.curl_sequence(
            [self.dataplane.url("/%d" % i) for i in range(10)], host="rr.test")
        servers = [r.echo_server() for r in responses]
        self.assertEqual(sorted(servers), ["rr-a"] * 5 + ["rr-b"] * 5, servers)
        for previous, current in zip(servers, servers[1:]):
            self.assertNotEqual(previous, current, "not round robin: %s" % servers)


def values(pairs, name):
    """The values of header `name` (any case) in a list of [name, value] pairs, in order."""
    return [value for key, value in pairs if key.lower() == name.lower()]


if __name__ == "__main__":
    unittest.main()
