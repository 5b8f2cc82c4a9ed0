"""How the data plane speaks to upstreams, as clusters say: gRPC over HTTP/2 cleartext (a Service
port's appProtocol kubernetes.io/h2c, or the backend-protocol annotation), TLS to HTTPS and GRPCS
upstreams with and without certificate verification. Real clients: python3-grpcio for unary,
bidirectional streaming and error statuses (through h2c and through h2 over TLS), curl for the
HTTPS upstreams.
"""

import base64
import os
import queue
import subprocess
import sys
import threading
import unittest

import grpc

import harness
from manifests import endpoint_slice, ingress, ingress_class, rule
from test_tls import make_certificate, tls_secret

GRPC_ECHO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grpc_echo.py")


def make_ca_and_leaf(folder, names):
    """A test CA and a certificate it issued for `names` (files: ca.crt, leaf.crt, leaf.key)."""
    def run(*argv):
        subprocess.run(argv, check=True, capture_output=True)
    ca_key, ca_crt = os.path.join(folder, "ca.key"), os.path.join(folder, "ca.crt")
    key, csr, crt = (os.path.join(folder, n) for n in ("leaf.key", "leaf.csr", "leaf.crt"))
    ext = os.path.join(folder, "leaf.ext")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "2", "-subj", "/CN=upstream test CA", "-addext",
        "basicConstraints=critical,CA:TRUE", "-keyout", ca_key, "-out", ca_crt)
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-subj", "/CN=" + names[0], "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + n for n in names) + "\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
        "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
    return ca_crt, crt, key


def service(name, port, app_protocol=None):
    spec_port = {"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}
    if app_protocol:
        spec_port["appProtocol"] = app_protocol
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"app": name}, "ports": [spec_port]}}


def route(host, service_name, port, annotations=None, tls=None):
    return ingress(host.split(".")[0], annotations=annotations, tls=tls,
                   rules=[rule(host, {"path": "/", "pathType": "Prefix", "backend": {
                       "service": {"name": service_name, "port": {"number": port}}}})])


class GrpcEcho:
    """grpc_echo.py on a free port, cleartext or with (certificate, key)."""

    def __init__(self, group, name, tls=None):
        self.port = harness.free_port()
        argv = [sys.executable, GRPC_ECHO, "--listen", "127.0.0.1:%d" % self.port]
        if tls:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        self.process = group.start(name, argv)
        harness.wait_until(lambda: "listening" in self.process.log(), harness.START_TIMEOUT,
                           "%s to listen" % name, [self.process])


class UpstreamProtocolsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            folder = cls.class_dir
            cls.ca, leaf, leaf_key = make_ca_and_leaf(
                folder, ["secure.default.svc", "grpcs.default.svc", "upstream.internal"])
            cls.front_crt, front_key = make_certificate(folder, "front", "grpc-tls.test",
                                                        ["grpc-tls.test"])
            grpc_plain = GrpcEcho(cls.class_group, "grpc-plain")
            grpc_tls = GrpcEcho(cls.class_group, "grpc-tls", tls=(leaf, leaf_key))
            secure = harness.EchoServer(cls.class_group, "secure", tls=(leaf, leaf_key))
            ca_secret = tls_secret("upstream-ca", leaf, leaf_key)
            with open(cls.ca, "rb") as f:
                ca_secret["data"]["ca.crt"] = base64.b64encode(f.read()).decode()
            verify = {"nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
                      "nginx.ingress.kubernetes.io/proxy-ssl-secret": "default/upstream-ca"}
            world = [
                ingress_class(),
                ca_secret, tls_secret("front", cls.front_crt, front_key),
                service("grpc", grpc_plain.port, "kubernetes.io/h2c"),
                endpoint_slice("grpc", ["127.0.0.1"], grpc_plain.port),
                service("grpc-unmarked", grpc_plain.port),
                endpoint_slice("grpc-unmarked", ["127.0.0.1"], grpc_plain.port),
                service("grpcs", grpc_tls.port),
                endpoint_slice("grpcs", ["127.0.0.1"], grpc_tls.port),
                service("secure", secure.port),
                endpoint_slice("secure", ["127.0.0.1"], secure.port),
                route("grpc.test", "grpc", grpc_plain.port),
                route("grpc-tls.test", "grpc", grpc_plain.port, tls={"front": ["grpc-tls.test"]}),
                route("grpc-annotated.test", "grpc-unmarked", grpc_plain.port,
                      {"nginx.ingress.kubernetes.io/backend-protocol": "GRPC"}),
                route("grpcs.test", "grpcs", grpc_tls.port,
                      {"nginx.ingress.kubernetes.io/backend-protocol": "GRPCS", **verify}),
                route("https-any.test", "secure", secure.port,
                      {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"}),
                route("https-verified.test", "secure", secure.port,
                      {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS", **verify}),
                route("https-wrong-name.test", "secure", secure.port,
                      {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS", **verify,
                       "nginx.ingress.kubernetes.io/proxy-ssl-name": "elsewhere.internal"}),
                route("https-untrusted.test", "secure", secure.port,
                      {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
                       "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on"}),
            ]
            manifests = harness.ManifestDir(os.path.join(folder, "manifests"))
            manifests.write_world({"world.yaml": world})
            cls.controlplane = harness.ControlPlane(cls.class_group, manifests.path)
            cls.controlplane.wait_ready()
            cls.https = harness.free_port()
            cls.dataplane = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "upstreams",
                extra_args=["--https-listen=127.0.0.1:%d" % cls.https])
            cls.dataplane.wait_ready()

    def channel(self, authority, tls=False):
        options = [("grpc.default_authority", authority)]
        if not tls:
            return grpc.insecure_channel("127.0.0.1:%d" % self.dataplane.http, options=options)
        with open(self.front_crt, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        return grpc.secure_channel("127.0.0.1:%d" % self.https, credentials,
                                   options=options + [("grpc.ssl_target_name_override",
                                                       authority)])

    def check_grpc(self, authority, tls=False):
        with self.channel(authority, tls) as channel:
            unary = channel.unary_unary("/echo.Echo/Unary")
            answer, call = unary.with_call(b"hello", metadata=[("x-custom", "1")], timeout=10)
            self.assertEqual(answer, b"unary:hello")
            seen = dict(call.trailing_metadata())
            self.assertEqual(seen.get("x-seen-x-custom"), "1")
            self.assertEqual(seen.get("x-seen-x-forwarded-proto"), "https" if tls else "http")
            self.assertIn("x-seen-x-request-id", seen)
            # A message larger than every flow-control window on the way.
            big = os.urandom(3 * 1024 * 1024)
            self.assertEqual(unary(big, timeout=20), b"unary:" + big)
            # Bidirectional streaming: each answer arrives before the next message is sent.
            outgoing = queue.Queue()

            def messages():
                while True:
                    message = outgoing.get()
                    if message is None:
                        return
                    yield message
            responses = channel.stream_stream("/echo.Echo/Chat")(messages(), timeout=20)
            for n in range(5):
                outgoing.put(b"m%d" % n)
                self.assertEqual(next(responses), b"chat:m%d" % n)
            outgoing.put(None)
            self.assertEqual(list(responses), [])
            # A status in trailers only.
            with self.assertRaises(grpc.RpcError) as failure:
                channel.unary_unary("/echo.Echo/Fail")(b"x", timeout=10)
            self.assertEqual(failure.exception.code(), grpc.StatusCode.NOT_FOUND)
            self.assertEqual(failure.exception.details(), "no such thing")

    def test_grpc_through_h2c_to_an_h2c_upstream(self):
        self.check_grpc("grpc.test")

    def test_grpc_through_tls_to_an_h2c_upstream(self):
        self.check_grpc("grpc-tls.test", tls=True)

    def test_backend_protocol_annotation_chooses_http2(self):
        self.check_grpc("grpc-annotated.test")

    def test_grpcs_upstream_verified(self):
        self.check_grpc("grpcs.test")

    def test_https_upstreams(self):
        for host, status in (("https-any.test", 200), ("https-verified.test", 200),
                             ("https-wrong-name.test", 502), ("https-untrusted.test", 502)):
            with self.subTest(host=host):
                answer = self.dataplane.get(host, "/over-tls")
                self.assertEqual(answer.status, status, answer)
                if status == 200:
                    self.assertEqual(answer.echo_server(), "secure")
                    self.assertEqual(answer.json()["path"], "/over-tls")

    def test_many_concurrent_streams_share_one_upstream_connection(self):
        threads, errors = [], []

        def call(channel, n):
            try:
                answer = channel.unary_unary("/echo.Echo/Unary")(b"%d" % n, timeout=20)
                if answer != b"unary:%d" % n:
                    errors.append(answer)
            except grpc.RpcError as error:
                errors.append(error)
        with self.channel("grpc.test") as channel:
            for n in range(50):
                threads.append(threading.Thread(target=call, args=(channel, n)))
                threads[-1].start()
            for thread in threads:
                thread.join()
        self.assertEqual(errors, [])
        connects = harness.metric(self.dataplane.health, "gatehouse_dataplane_upstream_connections_total")
        requests = harness.metric(self.dataplane.health, "gatehouse_dataplane_requests_total")
        self.assertLess(connects, requests / 4, "HTTP/2 upstream connections were not shared")


if __name__ == "__main__":
    unittest.main()
