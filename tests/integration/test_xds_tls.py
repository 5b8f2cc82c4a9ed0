"""Mutual TLS on the config stream (--xds-tls-cert/-key/-ca on both processes): certificates made
with the openssl command line for each run. A data plane with a certificate from the right CA
gets config; one from another CA, or one speaking plaintext, never does; half the flags or a file
that is not PEM stops a process at start with one line.
"""

import os
import subprocess
import unittest

import harness
from manifests import echo_world, ingress_class


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(folder, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=%s" % name,
            "-keyout", name + ".key", "-out", name + ".crt", cwd=folder)


def make_leaf(folder, ca, name, san):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=%s" % name, "-keyout", name + ".key", "-out", name + ".csr", cwd=folder)
    with open(os.path.join(folder, name + ".ext"), "w") as ext:
        ext.write("subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n" % san)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt",
            cwd=folder)


def tls_args(folder, leaf, ca):
    return ["--xds-tls-cert=" + os.path.join(folder, leaf + ".crt"),
            "--xds-tls-key=" + os.path.join(folder, leaf + ".key"),
            "--xds-tls-ca=" + os.path.join(folder, ca + ".crt")]


class XdsTlsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")
            cls.pki = os.path.join(cls.class_dir, "pki")
            os.makedirs(cls.pki)
            make_ca(cls.pki, "ca")
            make_ca(cls.pki, "other-ca")
            make_leaf(cls.pki, "ca", "controlplane", "IP:127.0.0.1,DNS:localhost")
            make_leaf(cls.pki, "ca", "dataplane", "DNS:dataplane")
            make_leaf(cls.pki, "other-ca", "stranger", "DNS:dataplane")

    def start_tls_controlplane(self):
        manifests = self.manifest_dir({
            "world.yaml": echo_world(self.echo),
        })
        return self.start_controlplane(
            manifests, extra_args=tls_args(self.pki, "controlplane", "ca"))

    def test_trusted_data_plane_gets_config_over_mutual_tls(self):
        controlplane = self.start_tls_controlplane()
        dataplane = harness.DataPlane(self.group, controlplane.xds_address, "trusted",
                                      extra_args=tls_args(self.pki, "dataplane", "ca"))
        dataplane.wait_ready()
        self.assertEqual(dataplane.routed_to("echo.test", "/"), "echo")
        self.assertIn("(mutual TLS)", controlplane.process.log())

    def test_untrusted_or_plaintext_data_planes_get_nothing(self):
        controlplane = self.start_tls_controlplane()
        # The stranger trusts the control plane's CA, but its own certificate comes from another
        # CA: the control plane must turn it away.
        stranger = harness.DataPlane(self.group, controlplane.xds_address, "stranger",
                                     extra_args=tls_args(self.pki, "stranger", "ca"))
        plaintext = harness.DataPlane(self.group, controlplane.xds_address, "plaintext")
        trusted = harness.DataPlane(self.group, controlplane.xds_address, "trusted",
                                    extra_args=tls_args(self.pki, "dataplane", "ca"))
        # Once a trusted data plane is served, the others have had their chance too.
        trusted.wait_ready()
        harness.wait_until(
            lambda: all(harness.health_get(d.health, "/healthz")[0] == 200
                        for d in (stranger, plaintext)),
            harness.START_TIMEOUT, "the other data planes to be up", [stranger.process])
        for dataplane in (stranger, plaintext):
            with self.subTest(dataplane=dataplane.node_id):
                self.assertEqual(harness.health_get(dataplane.health, "/readyz")[0], 503)
                status = harness.gatehousectl("--server=127.0.0.1:%d" % dataplane.admin, "status")
                self.assertRegex(status.stdout, r"(?m)^config source: +not connected$")

    def test_a_plaintext_control_plane_warns_that_keys_travel_in_the_clear(self):
        controlplane = self.start_controlplane(self.manifest_dir({
            "world.yaml": echo_world(self.echo),
        }))
        self.assertRegex(controlplane.process.log(),
                         r"(?m)^\S+ WARN \S+\] xds listening on 127\.0\.0\.1:\d+ in plain text: "
                         r"the config stream carries every TLS private key")

    def test_bad_tls_flags_stop_at_start_with_one_line(self):
        folder = self.manifest_dir({"class.yaml": [ingress_class()]}).path
        not_pem = os.path.join(self.pki, "ca.srl")  # the serial file openssl wrote
        cases = [
            ([harness.controlplane_binary(), "--source=file:" + folder,
              "--xds-tls-cert=" + os.path.join(self.pki, "controlplane.crt")], "go together"),
            ([harness.dataplane_binary(), "--xds-server=127.0.0.1:1",
              "--xds-tls-ca=" + os.path.join(self.pki, "ca.crt")], "go together"),
            ([harness.controlplane_binary(), "--source=file:" + folder,
              "--xds-listen=127.0.0.1:%d" % harness.free_port(),
              "--admin-listen=127.0.0.1:%d" % harness.free_port(),
              "--health-listen=127.0.0.1:%d" % harness.free_port(),
              *tls_args(self.pki, "controlplane", "ca")[:2], "--xds-tls-ca=" + not_pem],
             "is not PEM"),
            ([harness.dataplane_binary(), "--xds-server=127.0.0.1:1",
              "--xds-tls-cert=/nonexistent.crt",
              *tls_args(self.pki, "dataplane", "ca")[1:]], "cannot read the certificate"),
            ([harness.dataplane_binary(), "--xds-server=127.0.0.1:1",
              "--xds-tls-server-name=xds.test"], "--xds-tls-server-name needs"),
            # Certificates kept in a Secret need the API server...
            ([harness.controlplane_binary(), "--source=file:" + folder,
              "--xds-tls-secret=gatehouse-system/xds", "--xds-tls-server-names=xds.test"],
             "--xds-tls-secret needs --source=kubernetes"),
            # ...and exclude certificates from files...
            ([harness.controlplane_binary(), "--source=kubernetes",
              "--xds-tls-secret=gatehouse-system/xds", "--xds-tls-server-names=xds.test",
              *tls_args(self.pki, "controlplane", "ca")], "exclude each other"),
            # ...and take only DNS names for the certificate they make.
            ([harness.controlplane_binary(), "--source=file:" + folder,
              "--xds-tls-server-names=xds.test,bad\r\nname"], "is not a DNS name"),
            ([harness.controlplane_binary(), "--source=file:" + folder,
              "--xds-tls-server-names=xds.test"], "--xds-tls-server-names needs --xds-tls-secret"),
            ([harness.controlplane_binary(), "--source=kubernetes",
              "--xds-tls-secret=gatehouse-system/xds"], "needs --xds-tls-server-names"),
        ]
        for argv, expected in cases:
            with self.subTest(argv=" ".join(argv[1:])):
                result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                self.assertEqual(result.returncode, 2, result.stderr)
                lines = result.stderr.strip("\n").split("\n")
                self.assertEqual(len(lines), 1, result.stderr)
                self.assertIn(expected, lines[0])


if __name__ == "__main__":
    unittest.main()
