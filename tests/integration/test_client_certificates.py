"""Client certificates (ingress-nginx's auth-tls-* annotations) through real processes and real
clients: curl with openssl-made client certificates (tests/integration/pki.py) and openssl
s_client.

Reference: ingress-nginx's annotations documentation, "Client Certificate Authentication":
auth-tls-secret names the CA bundle (ca.crt), auth-tls-verify-client is on (the default), off,
optional or optional_no_ca, auth-tls-verify-depth is how deep a chain may be (default 1),
auth-tls-error-page is where a refused client is sent, and auth-tls-pass-certificate-to-upstream
sends the certificate upstream in ssl-client-cert. nginx, under it, refuses a missing
certificate with "400 No required SSL certificate was sent" and a bad one with "400 The SSL
certificate error", and tells the upstream ssl-client-verify, ssl-client-subject-dn and
ssl-client-issuer-dn. auth-tls-match-cn is "CN=" and a regex the certificate must match, or
the request gets 403 (ingress-nginx: `if ($ssl_client_s_dn !~ ...) { return 403 "client
certificate unauthorized"; }`); a ca.crl key in the Secret is loaded as nginx's ssl_crl, which
checks every certificate of the chain against its issuer's list. Beyond it: a request whose TLS
server name is another host's gets 421, so a connection made without a certificate check never
reaches a host that asks for one.
"""

import json
import os
import socket
import ssl
import subprocess
import time
import unittest
import urllib.parse

import harness
from manifests import backed_service, ingress, ingress_class, path, rule, secret
from pki import Pki

PREFIX = "nginx.ingress.kubernetes.io/"


def headers_of(body):
    """The request headers the echo upstream saw, lower-cased names to lists of values."""
    seen = {}
    for name, value in json.loads(body)["headers"]:
        seen.setdefault(name.lower(), []).append(value)
    return seen


class ClientCertificateTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            echo = harness.EchoServer(cls.class_group, "echo")
            pki = Pki(cls.class_dir)
            root = pki.ca("client-ca")
            cls.alice = pki.leaf("alice", root)
            cls.old = pki.leaf("old", root, expired=True)
            team = pki.ca("team-ca", issuer=root)
            squad = pki.ca("squad-ca", issuer=team)
            cls.bob = pki.leaf("bob", team)      # one intermediate
            cls.carol = pki.leaf("carol", squad)  # two intermediates
            cls.mallory = pki.leaf("mallory", pki.ca("other-ca"))
            cls.alice2 = pki.leaf("alice2", root)
            cls.dave = pki.leaf("dave", root)
            cls.pki, cls.root = pki, root
            hosts = ["strict.test", "optional.test", "noca.test", "page.test", "deep.test",
                     "open.test", "revoking.test", "cn.test"]
            server = pki.leaf("server", pki.ca("server-ca"), server_names=hosts)

            def read(p):
                with open(p) as f:
                    return f.read()

            def site(name, annotations):
                host = name + ".test"
                return ingress(name, rules=[rule(host, path("/", "Prefix", "echo"))],
                               annotations={PREFIX + k: v for k, v in annotations.items()},
                               tls={"server": [host]})

            ca = {"auth-tls-secret": "default/client-ca"}
            cls.read = staticmethod(read)
            cls.manifests = manifests = harness.ManifestDir(
                os.path.join(cls.class_dir, "manifests"))
            manifests.write_world({"world.yaml": [
                ingress_class(), *backed_service("echo", echo.host, echo.port),
                secret("server", {"tls.crt": read(server.crt), "tls.key": read(server.key)},
                       secret_type="kubernetes.io/tls"),
                secret("client-ca", {"ca.crt": read(root.crt)}),
                site("revoking", {"auth-tls-secret": "default/revoking-ca",
                                  "auth-tls-verify-depth": "2"}),
                site("cn", {**ca, "auth-tls-match-cn": "CN=(alice|bob)(,|$)",
                            "auth-tls-verify-depth": "2"}),
                site("strict", {**ca, "auth-tls-pass-certificate-to-upstream": "true"}),
                site("optional", {**ca, "auth-tls-verify-client": "optional"}),
                site("noca", {**ca, "auth-tls-verify-client": "optional_no_ca"}),
                site("page", {**ca, "auth-tls-error-page": "https://help.example/cert"}),
                site("deep", {**ca, "auth-tls-verify-depth": "2"}),
                site("open", {}),
            ], "revoking.yaml": [cls.revocations([cls.dave])]})
            cls.controlplane = harness.ControlPlane(cls.class_group, manifests.path)
            cls.controlplane.wait_ready()
            cls.https = harness.free_port()
            cls.dataplane = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "mtls",
                extra_args=["--https-listen=127.0.0.1:%d" % cls.https])
            cls.dataplane.wait_ready()

    @classmethod
    def revocations(cls, revoked):
        """The Secret of revoking.test: the root CA and its list revoking `revoked`."""
        crl = cls.pki.crl(cls.root, revoked=revoked, name="crl-%d" % len(revoked))
        return secret("revoking-ca", {"ca.crt": cls.read(cls.root.crt), "ca.crl": cls.read(crl)})

    def curl(self, host, cert=None, headers=(), sni=None, http2=False):
        """GET https://HOST/ through curl; `sni`: connect naming this host instead (the Host
        header stays `host`). Returns (status, body, response headers text)."""
        name = sni or host
        argv = ["curl", "-sS", "-k", "--max-time", "10", "-D", "-", "--resolve",
                "%s:%d:127.0.0.1" % (name, self.https), "-o", "/dev/stderr"]
        argv.append("--http2" if http2 else "--http1.1")
        if cert is not None:
            argv += ["--cert", cert.chain, "--key", cert.key]
        if sni:
            argv += ["-H", "Host: " + host]
        for header in headers:
            argv += ["-H", header]
        result = subprocess.run(argv + ["https://%s:%d/" % (name, self.https)],
                                capture_output=True, timeout=20)
        head = result.stdout.decode(errors="replace")
        status_line = head.split("\r\n", 1)[0]
        self.assertTrue(status_line.startswith("HTTP/"), (status_line, result.stderr[-300:]))
        return int(status_line.split()[1]), result.stderr.decode(errors="replace"), head

    def test_a_good_certificate_passes_and_the_upstream_is_told_who(self):
        status, body, _ = self.curl("strict.test", self.alice,
                                    headers=["ssl-client-verify: FORGED",
                                             "ssl-client-subject-dn: CN=admin",
                                             "ssl_client_issuer_dn: CN=admin"])
        self.assertEqual(status, 200, body)
        seen = headers_of(body)
        self.assertEqual(seen["ssl-client-verify"], ["SUCCESS"])
        self.assertEqual(seen["ssl-client-subject-dn"], ["CN=alice"])
        self.assertEqual(seen["ssl-client-issuer-dn"], ["CN=client-ca"])
        self.assertNotIn("ssl_client_issuer_dn", seen)  # the underscore spelling too
        # auth-tls-pass-certificate-to-upstream: the certificate itself, URL-encoded.
        self.assertEqual(len(seen["ssl-client-cert"]), 1)
        self.assertEqual(urllib.parse.unquote(seen["ssl-client-cert"][0]),
                         self.alice.pem())
        # Over HTTP/2 too.
        status, body, _ = self.curl("strict.test", self.alice, http2=True)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers_of(body)["ssl-client-verify"], ["SUCCESS"])

    def test_on_refuses_no_expired_and_foreign_certificates(self):
        cases = [(None, "No required SSL certificate was sent"),
                 (self.old, "The SSL certificate error"),
                 (self.mallory, "The SSL certificate error"),
                 (self.carol, "The SSL certificate error")]  # deeper than depth 1
        for cert, words in cases:
            with self.subTest(cert=cert and cert.name):
                status, body, _ = self.curl("strict.test", cert)
                self.assertEqual(status, 400)
                self.assertIn(words, body)
                self.assertNotIn('"server": "echo"', body)  # the proxy's answer, not the upstream's

    def test_the_depth_allows_that_many_intermediates(self):
        # OpenSSL's verify depth, as nginx's ssl_verify_depth: intermediate CAs allowed.
        self.assertEqual(self.curl("strict.test", self.bob)[0], 200)
        self.assertEqual(self.curl("strict.test", self.carol)[0], 400)
        status, body, _ = self.curl("deep.test", self.carol)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers_of(body)["ssl-client-issuer-dn"], ["CN=squad-ca"])

    def test_optional_modes(self):
        status, body, _ = self.curl("optional.test")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers_of(body)["ssl-client-verify"], ["NONE"])
        self.assertNotIn("ssl-client-subject-dn", headers_of(body))
        self.assertEqual(self.curl("optional.test", self.alice)[0], 200)
        self.assertEqual(self.curl("optional.test", self.mallory)[0], 400)
        # optional_no_ca: an unknown issuer passes, told as such; an expired one does not.
        status, body, _ = self.curl("noca.test", self.mallory)
        self.assertEqual(status, 200, body)
        verify = headers_of(body)["ssl-client-verify"]
        self.assertEqual(len(verify), 1)
        self.assertTrue(verify[0].startswith("FAILED:"), verify)
        self.assertEqual(headers_of(body)["ssl-client-subject-dn"], ["CN=mallory"])
        self.assertEqual(self.curl("noca.test", self.old)[0], 400)

    def test_the_error_page_receives_refused_clients(self):
        status, _, head = self.curl("page.test")
        self.assertEqual(status, 302)
        self.assertIn("\r\nlocation: https://help.example/cert\r\n", head.lower())
        self.assertEqual(self.curl("page.test", self.alice)[0], 200)

    def test_a_connection_made_for_another_host_gets_421(self):
        # SNI open.test asks for no certificate; its requests may not reach strict.test.
        for http2 in (False, True):
            with self.subTest(http2=http2):
                status, body, _ = self.curl("strict.test", sni="open.test", http2=http2)
                self.assertEqual(status, 421, body)
                # Nor with a certificate another host's check accepted: deep.test allows two
                # intermediates, strict.test one.
                status, _, _ = self.curl("strict.test", self.carol, sni="deep.test",
                                         http2=http2)
                self.assertEqual(status, 421)
                # Hosts whose checks are the same (one CA Secret, one depth) share connections:
                # the mode is each host's own, applied to the same verdict.
                self.assertEqual(self.curl("strict.test", self.alice, sni="optional.test",
                                           http2=http2)[0], 200)
                self.assertEqual(self.curl("strict.test", sni="optional.test",
                                           http2=http2)[0], 400)
        # A host that asks nothing serves whatever connection.
        self.assertEqual(self.curl("open.test", sni="strict.test", cert=self.alice)[0], 200)

    def test_the_subject_must_match_the_common_name_pattern(self):
        for cert, status in [(self.alice, 200), (self.bob, 200), (self.alice2, 403),
                             (self.mallory, 400), (None, 400)]:
            with self.subTest(cert=cert and cert.name):
                got, body, _ = self.curl("cn.test", cert)
                self.assertEqual(got, status, body)
                if status == 403:
                    self.assertIn("client certificate unauthorized", body)
                if status == 200:
                    self.assertEqual(headers_of(body)["ssl-client-subject-dn"],
                                     ["CN=" + cert.name])

    def test_revoked_certificates_are_refused_and_a_new_list_applies(self):
        self.assertEqual(self.curl("revoking.test", self.alice)[0], 200)
        status, body, _ = self.curl("revoking.test", self.dave)
        self.assertEqual(status, 400)
        self.assertIn("The SSL certificate error", body)
        # As nginx's ssl_crl: every certificate of the chain is checked, and team-ca (bob's
        # issuer) has no list in the Secret.
        self.assertEqual(self.curl("revoking.test", self.bob)[0], 400)
        # A new list revokes alice too: her next connection is refused.
        self.manifests.write("revoking.yaml", self.revocations([self.dave, self.alice]))
        try:
            deadline = time.monotonic() + 15
            while self.curl("revoking.test", self.alice)[0] == 200:
                self.assertLess(time.monotonic(), deadline, "the new list was never applied")
                time.sleep(0.2)
            self.assertEqual(self.curl("revoking.test", self.alice)[0], 400)
            self.assertEqual(self.curl("strict.test", self.alice)[0], 200)  # another Secret
        finally:
            self.manifests.write("revoking.yaml", self.revocations([self.dave]))

    def test_a_client_using_nagle_is_answered_without_the_delayed_ack_wait(self):
        # A host that checks certificates sends no session ticket, so in TLS 1.3 nothing follows
        # the client's last handshake flight. A client that leaves Nagle's algorithm on (as
        # Python's sockets do) holds its request until that flight is acknowledged, and a
        # delayed ACK comes no sooner than 40 ms on Linux: every request would then take at
        # least 40 ms. Not a speed target: the best of five must be under that floor.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.load_cert_chain(self.alice.chain, self.alice.key)
        waits = []
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", self.https), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="strict.test") as tls:
                    sent = time.monotonic()
                    tls.sendall(b"GET / HTTP/1.1\r\nHost: strict.test\r\n"
                                b"Connection: close\r\n\r\n")
                    first = tls.recv(65536)
                    waits.append(time.monotonic() - sent)
                    self.assertTrue(first.startswith(b"HTTP/1.1 200"), first[:100])
        self.assertLess(min(waits), 0.035, waits)

    def test_the_handshake_names_the_acceptable_cas_only_where_asked(self):
        def s_client(name):
            result = subprocess.run(
                ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.https,
                 "-servername", name, "-tls1_2"],
                input=b"", capture_output=True, timeout=20)
            return result.stdout.decode(errors="replace")
        asked = s_client("strict.test")
        self.assertIn("Acceptable client certificate CA names\nCN = client-ca", asked)
        self.assertIn("No client certificate CA names sent", s_client("open.test"))


if __name__ == "__main__":
    unittest.main()
