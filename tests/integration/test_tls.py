"""TLS termination on the data plane's HTTPS listener: the certificates of the Ingresses'
kubernetes.io/tls Secrets, chosen by SNI (exact name, then wildcard), a default certificate for
names without one (the data plane's own, or --default-tls-secret), TLS 1.2 and 1.3 only, ALPN h2 and http/1.1, and requests through it reaching the
upstream with X-Forwarded-Proto https. A Secret whose key does not match its certificate leaves
its host on plain HTTP and every other host unaffected; the keys never show in config dumps.
Real clients: openssl s_client and curl.
"""

import base64
import json
import os
import subprocess
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule


def make_certificate(folder, name, common_name, alt_names):
    """A self-signed EC certificate and key (PEM files) made with the openssl command."""
    key, crt = os.path.join(folder, name + ".key"), os.path.join(folder, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                    "/CN=" + common_name, "-addext",
                    "subjectAltName=" + ",".join("DNS:" + n for n in alt_names),
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    return crt, key


def tls_secret(name, crt_file, key_file):
    def b64(path):
        with open(path, "rb") as f:
            return base64.b64encode(f.read()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": "default"},
            "data": {"tls.crt": b64(crt_file), "tls.key": b64(key_file)}}


class TlsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            echo = harness.EchoServer(cls.class_group, "echo")
            folder = cls.class_dir
            cls.app_crt, app_key = make_certificate(folder, "app", "app.test", ["app.test"])
            cls.wild_crt, wild_key = make_certificate(folder, "wild", "wild.test",
                                                      ["*.wild.test"])
            other_crt, other_key = make_certificate(folder, "other", "other", ["other"])
            manifests = harness.ManifestDir(os.path.join(folder, "manifests"))
            hosts = ["app.test", "a.wild.test", "broken.test", "plain.test"]
            manifests.write_world({"world.yaml": [
                ingress_class(), *backed_service("echo", echo.host, echo.port),
                tls_secret("app", cls.app_crt, app_key),
                tls_secret("wild", cls.wild_crt, wild_key),
                tls_secret("mismatched", other_crt, app_key),  # a key of another certificate
                ingress("tls", rules=[rule(h, path("/", "Prefix", "echo")) for h in hosts],
                        tls={"app": ["app.test"], "wild": ["*.wild.test"],
                             "mismatched": ["broken.test"]}),
                # A host whose Ingress opts out of the redirect.
                ingress("optout", rules=[rule("optout.test", path("/", "Prefix", "echo"))],
                        annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "false"},
                        tls={"app": ["optout.test"]}),
            ]})
            world = manifests.path
            cls.world = world
            cls.controlplane = harness.ControlPlane(cls.class_group, world)
            cls.controlplane.wait_ready()
            cls.https = harness.free_port()
            cls.dataplane = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "tls",
                extra_args=["--https-listen=127.0.0.1:%d" % cls.https])
            cls.dataplane.wait_ready()

    def s_client(self, server_name, *extra, brief=True, request=False):
        """openssl s_client; with `request`, it sends a GET and reads the answer to the end
        (TLS 1.3 tickets arrive after the handshake, so only then is a session saved)."""
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.https]
        if brief:
            argv.append("-brief")
        if server_name:
            argv += ["-servername", server_name]
        data = b""
        if request:
            argv.append("-ign_eof")
            data = ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                    % server_name).encode()
        result = subprocess.run(argv + list(extra), input=data, capture_output=True, timeout=20)
        return result.returncode, (result.stdout + result.stderr).decode(errors="replace")

    def curl_https(self, host, path="/", ca=None):
        argv = ["curl", "-sS", "--max-time", "10", "--resolve",
                "%s:%d:127.0.0.1" % (host, self.https), "-o", "-", "-w", "\n%{http_code}"]
        argv += ["--cacert", ca] if ca else ["-k"]
        result = subprocess.run(argv + ["https://%s:%d%s" % (host, self.https, path)],
                                capture_output=True, timeout=20)
        body, _, status = result.stdout.decode().rpartition("\n")
        return int(status or 0), body, result.stderr.decode()

    def test_sni_picks_each_hosts_certificate_and_the_default_otherwise(self):
        for name, subject in (("app.test", "CN = app.test"), ("a.wild.test", "CN = wild.test"),
                              ("APP.TEST", "CN = app.test"),
                              ("unknown.test", "CN = gatehouse default certificate"),
                              ("broken.test", "CN = gatehouse default certificate"),
                              (None, "CN = gatehouse default certificate")):
            with self.subTest(server_name=name):
                code, output = self.s_client(name)
                self.assertEqual(code, 0, output)
                self.assertIn("Peer certificate: " + subject, output)

    def test_requests_reach_the_upstream_verified_and_marked_https(self):
        status, body, stderr = self.curl_https("app.test", "/secure", ca=self.app_crt)
        self.assertEqual(status, 200, stderr)
        answer = json.loads(body)
        headers = {k.lower(): v for k, v in answer["headers"]}
        self.assertEqual(headers["x-forwarded-proto"], "https")
        self.assertEqual(headers["x-forwarded-port"], str(self.https))
        status, _, stderr = self.curl_https("a.wild.test", "/", ca=self.wild_crt)
        self.assertEqual(status, 200, stderr)

    def test_versions_and_alpn(self):
        code, output = self.s_client("app.test", "-tls1_3")
        self.assertEqual(code, 0, output)
        self.assertIn("Protocol version: TLSv1.3", output)
        code, output = self.s_client("app.test", "-tls1_2")
        self.assertEqual(code, 0, output)
        self.assertIn("Protocol version: TLSv1.2", output)
        code, output = self.s_client("app.test", "-tls1_1")
        self.assertNotEqual(code, 0, "TLS 1.1 was accepted:\n" + output)
        code, output = self.s_client("app.test", "-alpn", "h2,http/1.1", brief=False)
        self.assertIn("ALPN protocol: h2", output)
        code, output = self.s_client("app.test", "-alpn", "http/1.1", brief=False)
        self.assertIn("ALPN protocol: http/1.1", output)

    def test_clients_closing_right_after_the_handshake_harm_nothing(self):
        # Full handshakes, each closed at once (close_notify), from four clients for a while.
        clients = [subprocess.Popen(["openssl", "s_time", "-connect", "127.0.0.1:%d" % self.https,
                                     "-new", "-time", "2"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for _ in range(4)]
        for client in clients:
            client.wait(timeout=30)
        self.assertTrue(self.dataplane.process.running())
        status, _, stderr = self.curl_https("app.test", "/after", ca=self.app_crt)
        self.assertEqual(status, 200, stderr)

    def test_sessions_resume_with_tickets(self):
        session = os.path.join(self.dir, "session.pem")
        for version in ("-tls1_3", "-tls1_2"):
            with self.subTest(version=version):
                code, output = self.s_client("app.test", version, "-sess_out", session,
                                             brief=False, request=True)
                self.assertEqual(code, 0, output)
                self.assertIn("New, TLSv1", output)
                code, output = self.s_client("app.test", version, "-sess_in", session,
                                             brief=False, request=True)
                self.assertEqual(code, 0, output)
                self.assertIn("Reused, TLSv1", output)

    def test_min_version_and_ciphers_follow_the_flags(self):
        https = harness.free_port()
        dataplane = harness.DataPlane(
            self.group, self.controlplane.xds_address, "tls13",
            extra_args=["--https-listen=127.0.0.1:%d" % https, "--tls-min-version=1.3",
                        "--tls-ticket-key-rotation=0s"])
        dataplane.wait_ready()
        base = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % https, "-servername",
                "app.test"]

        def connect(*extra):
            request = b"GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n"
            result = subprocess.run(base + ["-ign_eof"] + list(extra), input=request,
                                    capture_output=True, timeout=20)
            return result.returncode, (result.stdout + result.stderr).decode(errors="replace")

        code, output = connect("-tls1_2")
        self.assertNotEqual(code, 0, "TLS 1.2 was accepted:\n" + output)
        code, output = connect("-tls1_3", "-brief")
        self.assertEqual(code, 0, output)
        # --tls-ticket-key-rotation=0s: no tickets, so no session to save.
        session = os.path.join(self.dir, "none.pem")
        code, output = connect("-tls1_3", "-sess_out", session)
        self.assertEqual(code, 0, output)
        self.assertIn("HTTP/1.1 200", output)  # the answer was read: a ticket had its chance
        self.assertFalse(os.path.exists(session), output)

        https12 = harness.free_port()
        chacha = harness.DataPlane(
            self.group, self.controlplane.xds_address, "chacha",
            extra_args=["--https-listen=127.0.0.1:%d" % https12,
                        "--tls-ciphers=ECDHE-ECDSA-CHACHA20-POLY1305"])
        chacha.wait_ready()
        result = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % https12,
                                 "-servername", "app.test", "-tls1_2"], input=b"",
                                capture_output=True, timeout=20)
        output = result.stdout.decode(errors="replace")
        self.assertIn("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305", output)
        result = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % https12,
                                 "-servername", "app.test", "-tls1_2", "-cipher",
                                 "ECDHE-ECDSA-AES128-GCM-SHA256"], input=b"",
                                capture_output=True, timeout=20)
        self.assertNotEqual(result.returncode, 0, "a cipher outside --tls-ciphers was agreed")

    def test_hosts_with_a_certificate_redirect_plain_http_and_send_hsts(self):
        answer = self.dataplane.get("app.test:8080", "/a/b?c=d")
        self.assertEqual(answer.status, 308)
        self.assertEqual(answer.header("Location"), "https://app.test/a/b?c=d")
        self.assertEqual(self.dataplane.get("a.wild.test", "/x").header("Location"),
                         "https://a.wild.test/x")
        # Not redirected: ACME's HTTP challenges, hosts without a (usable) certificate, and an
        # Ingress that opts out.
        self.assertEqual(self.dataplane.get("app.test", "/.well-known/acme-challenge/t").status,
                         200)
        for host in ("plain.test", "broken.test", "optout.test"):
            with self.subTest(host=host):
                self.assertEqual(self.dataplane.get(host, "/").status, 200)
        # Over HTTPS, the host says to stay there.
        argv = ["curl", "-sS", "-k", "-D", "-", "-o", "/dev/null", "--resolve",
                "app.test:%d:127.0.0.1" % self.https, "https://app.test:%d/" % self.https]
        head = subprocess.run(argv, capture_output=True, timeout=20).stdout.decode()
        self.assertIn("strict-transport-security: max-age=31536000; includeSubDomains",
                      head.lower().replace("includesubdomains", "includeSubDomains"))

    def test_a_broken_secret_leaves_its_host_on_plain_http_and_says_why(self):
        self.assertEqual(self.dataplane.get("broken.test").status, 200)
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("secret default/mismatched tls.key is not the key of the certificate",
                      status)

    def test_default_tls_secret_serves_clients_naming_no_known_host(self):
        controlplane = harness.ControlPlane(self.group, self.world,
                                            extra_args=["--default-tls-secret=default/wild"])
        controlplane.wait_ready()
        https = harness.free_port()
        dataplane = harness.DataPlane(self.group, controlplane.xds_address, "default-cert",
                                      extra_args=["--https-listen=127.0.0.1:%d" % https])
        dataplane.wait_ready()
        for name, subject in (("unknown.test", "CN = wild.test"), (None, "CN = wild.test"),
                              ("app.test", "CN = app.test")):
            with self.subTest(server_name=name):
                argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % https, "-brief"]
                if name:
                    argv += ["-servername", name]
                output = subprocess.run(argv, input=b"", capture_output=True, timeout=20)
                text = (output.stdout + output.stderr).decode(errors="replace")
                self.assertIn("Peer certificate: " + subject, text)

    def test_private_keys_never_show_in_config_dumps(self):
        for admin in (self.controlplane.admin, self.dataplane.admin):
            dump = harness.gatehousectl("--server=127.0.0.1:%d" % admin, "config-dump").stdout
            self.assertIn("certificate_chain", dump)
            self.assertNotIn("PRIVATE KEY", base64_decoded_fields(dump))


def base64_decoded_fields(dump):
    """The dump with every base64 bytes field of a certificate decoded, so a key would show."""
    decoded = []
    for line in dump.splitlines():
        if '"private_key"' in line or '"certificate_chain"' in line:
            value = line.split(":", 1)[1].strip().strip(",").strip('"')
            try:
                decoded.append(base64.b64decode(value).decode(errors="replace"))
            except ValueError:
                decoded.append(value)
    return "\n".join(decoded)


if __name__ == "__main__":
    unittest.main()
