"""ssl-passthrough through real processes. Reference: ingress-nginx's annotation documentation
("SSL Passthrough") and its TLS user guide: with the controller's --enable-ssl-passthrough, TLS
connections whose SNI names the Ingress's host go to its backend without being decrypted (the
client sees the backend's own certificate), routed on layer 4, so the Ingress's other
annotations do not apply; connections naming any other host are terminated as usual. Real
clients: curl and openssl s_client.
"""

import hashlib
import os
import socket
import ssl
import subprocess
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule
from test_tls import make_certificate, tls_secret

N = "nginx.ingress.kubernetes.io/"


class SslPassthroughTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            folder = cls.class_dir
            cls.vault_crt, vault_key = make_certificate(folder, "vault", "vault.test",
                                                        ["vault.test"])
            cls.web_crt, web_key = make_certificate(folder, "web", "web.test", ["web.test"])
            echo = harness.EchoServer(cls.class_group, "echo")
            # The passed-through backend terminates TLS itself, with its own certificate.
            vault = harness.EchoServer(cls.class_group, "vault", tls=(cls.vault_crt, vault_key))
            manifests = harness.ManifestDir(os.path.join(folder, "manifests"))
            manifests.write_world({"world.yaml": [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                *backed_service("vault", vault.host, vault.port),
                tls_secret("web", cls.web_crt, web_key),
                ingress("vault", rules=[rule("vault.test", path("/", "Prefix", "vault"),
                                             path("/ui", "Prefix", "echo"))],
                        annotations={N + "ssl-passthrough": "true",
                                     N + "backend-protocol": "HTTPS"}),
                ingress("web", rules=[rule("web.test", path("/", "Prefix", "echo"))],
                        tls={"web": ["web.test"]}),
            ]})
            cls.controlplane = harness.ControlPlane(cls.class_group, manifests.path,
                                                    extra_args=["--enable-ssl-passthrough"])
            cls.controlplane.wait_ready()
            cls.https = harness.free_port()
            cls.dataplane = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "passthrough",
                extra_args=["--https-listen=127.0.0.1:%d" % cls.https])
            cls.dataplane.wait_ready()

    def curl_https(self, host, target, cacert, *extra, port=None):
        port = port or self.https
        result = subprocess.run(
            ["curl", "--silent", "--show-error", "--max-time", "10", "--cacert", cacert,
             "--resolve", "%s:%d:127.0.0.1" % (host, port), *extra,
             "https://%s:%d%s" % (host, port, target)],
            capture_output=True, text=True, timeout=20)
        return result

    def peer_subject(self, server_name):
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.https, "-brief"]
        if server_name:
            argv += ["-servername", server_name]
        result = subprocess.run(argv, input="", capture_output=True, text=True, timeout=20)
        return next((line for line in result.stderr.splitlines()
                     if line.startswith("Peer certificate:")), result.stderr)

    def test_the_backend_terminates_tls_for_a_passed_through_host(self):
        def passed():
            return harness.metric(self.dataplane.health,
                                  "gatehouse_dataplane_passthrough_connections_total",
                                  outcome="tunneled") or 0
        before = passed()
        # Verified against the backend's own certificate: the data plane never decrypted.
        result = self.curl_https("vault.test", "/secret/x?y=1", self.vault_crt,
                                 "-H", "X-Forwarded-For: 203.0.113.9")
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = harness.Response(200, [], result.stdout.encode(), "").json()
        self.assertEqual(answer["server"], "vault")
        self.assertEqual(answer["path"], "/secret/x?y=1")
        headers = {name.lower(): value for name, value in answer["headers"]}
        # Nothing was added on the way: the proxy saw only ciphertext.
        self.assertEqual(headers["x-forwarded-for"], "203.0.113.9")
        self.assertNotIn("x-request-id", headers)
        self.assertIn("CN = vault.test", self.peer_subject("vault.test"))
        self.assertGreaterEqual(passed(), before + 2)

    def test_behind_a_proxy_protocol_load_balancer_both_kinds_still_work(self):
        # curl's --haproxy-protocol sends a version 1 header first, as a load balancer would.
        port = harness.free_port()
        behind = harness.DataPlane(
            self.group, self.controlplane.xds_address, "behind-lb",
            extra_args=["--https-listen=127.0.0.1:%d" % port, "--use-proxy-protocol"])
        behind.wait_ready()
        result = self.curl_https("vault.test", "/v", self.vault_crt, "--haproxy-protocol",
                                 port=port)
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = harness.Response(200, [], result.stdout.encode(), "").json()
        self.assertEqual(answer["server"], "vault")
        result = self.curl_https("web.test", "/w", self.web_crt, "--haproxy-protocol", port=port)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(harness.Response(200, [], result.stdout.encode(), "").json()["server"],
                         "echo")
        # The header and the ClientHello in one segment, as a load balancer may send them.
        self.assertEqual(self.https_in_one_segment(port, "vault.test", self.vault_crt), "vault")
        self.assertEqual(self.https_in_one_segment(port, "web.test", self.web_crt), "echo")
        # Without the header, the connection is refused.
        result = self.curl_https("web.test", "/w", self.web_crt, port=port)
        self.assertNotEqual(result.returncode, 0)

    def https_in_one_segment(self, port, host, cacert):
        """GET / over TLS whose first segment is a PROXY header and the ClientHello together;
        the name of the echo server that answered."""
        context = ssl.create_default_context(cafile=cacert)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname=host)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            first = b"PROXY TCP4 203.0.113.9 10.0.0.1 1 443\r\n"
            request = ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host)
            sent, answer = False, b""
            while True:
                try:
                    if not sent:
                        tls.do_handshake()
                        tls.write(request.encode())
                        sent = True
                    while True:  # every record already received, not just the first
                        data = tls.read(65536)
                        if not data:
                            break
                        answer += data
                except ssl.SSLWantReadError:
                    pass
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    break
                pending = first + outgoing.read()
                first = b""
                if pending:
                    raw.sendall(pending)
                chunk = raw.recv(65536)
                if not chunk:
                    break
                incoming.write(chunk)
        body = answer.partition(b"\r\n\r\n")[2]
        return harness.Response(200, [], body, "").json()["server"]

    def test_other_hosts_are_still_terminated_here(self):
        result = self.curl_https("web.test", "/page", self.web_crt)
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = harness.Response(200, [], result.stdout.encode(), "").json()
        self.assertEqual(answer["server"], "echo")
        headers = {name.lower(): value for name, value in answer["headers"]}
        self.assertEqual(headers["x-forwarded-proto"], "https")
        self.assertIn("CN = web.test", self.peer_subject("web.test"))
        # No SNI at all: the data plane's own default certificate.
        anonymous = self.peer_subject(None)
        self.assertTrue(anonymous.startswith("Peer certificate:"), anonymous)
        self.assertNotIn("vault.test", anonymous)

    def test_a_large_exchange_goes_through_whole(self):
        body = os.urandom(3 << 20)
        data = os.path.join(self.class_dir, "upload.bin")
        with open(data, "wb") as f:
            f.write(body)
        result = self.curl_https("vault.test", "/upload", self.vault_crt,
                                 "--data-binary", "@" + data, "-H", "Expect:")
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = harness.Response(200, [], result.stdout.encode(), "").json()
        self.assertEqual(answer["body_bytes"], len(body))
        self.assertEqual(answer["body_sha256"], hashlib.sha256(body).hexdigest())
        # And the other way: 8 MiB from the backend, which the tunnel pauses for as curl reads.
        out = os.path.join(self.class_dir, "download.bin")
        result = self.curl_https("vault.test", "/__bytes/%d" % (8 << 20), self.vault_crt,
                                 "--output", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(os.path.getsize(out), 8 << 20)

    def test_the_report_says_what_passthrough_leaves_out(self):
        # Plain HTTP has no route for the host: its paths are not served.
        self.assertEqual(self.dataplane.get("vault.test", "/").status, 404)
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "ingresses", "default/vault").stdout
        self.assertIn("ssl-passthrough passes the \"/\" path's backend through, alone; path "
                      "\"/ui\" is not served", status)
        self.assertIn("sends the connections to the backend as they are", status)


if __name__ == "__main__":
    unittest.main()
