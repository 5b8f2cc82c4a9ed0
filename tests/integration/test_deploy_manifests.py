"""The shipped install (deploy/kubernetes), rendered with `kubectl kustomize` and run with the
arguments it gives each process.

(1) The config stream is secured by default: the control plane, with its rendered arguments and
    the test API server (tests/kube/apiserver.py) as its cluster, makes the stream's
    certificates into the Secret the manifests name; a data plane with its rendered arguments,
    and the Secret's items written where its volume mounts them, gets config over mutual TLS
    and serves a route. A data plane without a certificate gets nothing, and the control
    plane's log says why (test_xds_tls.py covers certificates from another CA). A second control plane start reads the same
    Secret instead of making new certificates, and the data plane carries on.
(2) What the manifests promise around it: a NetworkPolicy admits only data-plane pods to the
    config port, the data plane mounts only its client certificate (not the control plane's
    key) and has no API token, and the control plane may create Secrets only in its own
    namespace.
"""

import base64
import os
import subprocess
import sys
import unittest

import yaml

import harness
from manifests import echo_world, to_yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube"))
from kube_fixture import KubeApiServer  # noqa: E402

MANIFESTS = os.path.join(harness.REPO, "deploy", "kubernetes")
LISTEN_FLAGS = ("--xds-listen=", "--admin-listen=", "--health-listen=", "--http-listen=",
                "--https-listen=", "--node-id=", "--xds-server=")


def render():
    completed = subprocess.run(["kubectl", "kustomize", MANIFESTS], capture_output=True,
                               text=True, timeout=60, check=True)
    return [doc for doc in yaml.safe_load_all(completed.stdout) if doc]


def find(documents, kind, name):
    for doc in documents:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError("the rendered manifests have no %s %s" % (kind, name))


def flag(args, name):
    for arg in args:
        if arg.startswith("--%s=" % name):
            return arg.split("=", 1)[1]
    raise AssertionError("no --%s in %r" % (name, args))


def without_listen_flags(args):
    """The rendered arguments less those naming addresses; the test gives free ports on
    127.0.0.1 instead."""
    return [arg for arg in args if not arg.startswith(LISTEN_FLAGS)]


class DeployManifestsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = render()
        cls.controlplane_deployment = find(cls.docs, "Deployment", "gatehouse-controlplane")
        cls.dataplane_deployment = find(cls.docs, "Deployment", "gatehouse-dataplane")
        cls.controlplane_args = cls.controlplane_deployment["spec"]["template"]["spec"][
            "containers"][0]["args"]
        cls.dataplane_pod = cls.dataplane_deployment["spec"]["template"]["spec"]
        cls.dataplane_args = cls.dataplane_pod["containers"][0]["args"]
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")

    def start_kube(self):
        workdir = os.path.join(self.dir, "kube")
        os.makedirs(workdir)
        self.kube = KubeApiServer(workdir=workdir)
        self.addCleanup(self.kube.stop)
        self.kube.start()
        self.kube.kubectl("apply", "-f", "-", input=to_yaml(*echo_world(self.echo)))

    def start_controlplane_as_rendered(self, xds=None):
        source = without_listen_flags(self.controlplane_args)
        self.assertIn("--source=kubernetes", source)
        controlplane = harness.ControlPlane(self.group, xds=xds, name="controlplane",
                                            source=source + ["--kubeconfig=" + self.kube.kubeconfig])
        controlplane.wait_ready()
        return controlplane

    def mount_secret_volume(self, volume_name, secret, folder):
        """Writes the Secret's items as the kubelet would mount the pod's volume `volume_name`:
        only the listed keys, each under its path."""
        volume = next(v for v in self.dataplane_pod["volumes"] if v["name"] == volume_name)
        self.assertEqual(volume["secret"]["secretName"], secret["metadata"]["name"])
        os.makedirs(folder)
        for item in volume["secret"]["items"]:
            with open(os.path.join(folder, item["path"]), "wb") as out:
                out.write(base64.b64decode(secret["data"][item["key"]]))

    def dataplane_args_mounted_at(self, folder):
        """The data plane's rendered arguments with its volume's mount path moved to `folder`,
        and the name its dialled address has, which the control plane's certificate carries."""
        mount = self.dataplane_pod["containers"][0]["volumeMounts"][0]["mountPath"]
        args = [arg.replace(mount, folder) for arg in without_listen_flags(self.dataplane_args)]
        host = flag(self.dataplane_args, "xds-server").rsplit(":", 1)[0]
        return args + ["--xds-tls-server-name=" + host]

    def test_the_config_stream_is_mutual_tls_with_certificates_the_control_plane_makes(self):
        self.start_kube()
        controlplane = self.start_controlplane_as_rendered()
        namespace, name = flag(self.controlplane_args, "xds-tls-secret").split("/")
        secret = self.kube.kubectl_json("get", "secret", "-n", namespace, name)
        self.assertEqual(sorted(secret["data"]),
                         ["ca.crt", "client.crt", "client.key", "tls.crt", "tls.key"])
        self.assertIn("(mutual TLS)", controlplane.process.log())

        mounted = os.path.join(self.dir, "xds-tls")
        self.mount_secret_volume("xds-tls", secret, mounted)
        self.assertEqual(sorted(os.listdir(mounted)), ["ca.crt", "tls.crt", "tls.key"])
        trusted = harness.DataPlane(self.group, controlplane.xds_address, "trusted",
                                    extra_args=self.dataplane_args_mounted_at(mounted))
        trusted.wait_ready()
        self.assertEqual(trusted.routed_to("echo.test", "/"), "echo")

        # Without a certificate a data plane is turned away, and the log says so.
        plaintext = harness.DataPlane(self.group, controlplane.xds_address, "plaintext")
        harness.wait_until(lambda: "grpc: Handshake failed" in controlplane.process.log(),
                           harness.START_TIMEOUT, "the control plane to log the refusal",
                           [controlplane.process])
        status = harness.gatehousectl("--server=127.0.0.1:%d" % plaintext.admin, "status")
        self.assertRegex(status.stdout, r"(?m)^config source: +not connected$")
        self.assertEqual(harness.health_get(plaintext.health, "/readyz")[0], 503)
        self.assertRegex(controlplane.process.log(),
                         r"(?m)^\S+ ERRO \S+\] grpc: Handshake failed .*SSL")

        # Restarted, the control plane reads the Secret it made: same certificates, and the
        # data plane reconnects with the ones it has.
        version = secret["metadata"]["resourceVersion"]
        controlplane.process.stop()
        harness.wait_until(
            lambda: "not connected" in harness.gatehousectl(
                "--server=127.0.0.1:%d" % trusted.admin, "status").stdout,
            harness.START_TIMEOUT, "the data plane to see the control plane gone",
            [trusted.process])
        again = self.start_controlplane_as_rendered(xds=controlplane.xds)
        harness.wait_until(
            lambda: "not connected" not in harness.gatehousectl(
                "--server=127.0.0.1:%d" % trusted.admin, "status").stdout,
            harness.START_TIMEOUT, "the data plane to reconnect", [trusted.process, again.process])
        self.assertEqual(
            self.kube.kubectl_json("get", "secret", "-n", namespace, name)["metadata"][
                "resourceVersion"], version)
        self.assertNotIn("made the config stream's certificates", again.process.log())

    def test_the_manifests_fence_the_config_stream(self):
        # The NetworkPolicy: on the control plane's pods, the config port only from data-plane
        # pods.
        policy = find(self.docs, "NetworkPolicy", "gatehouse-controlplane")
        controlplane_labels = self.controlplane_deployment["spec"]["template"]["metadata"][
            "labels"]
        dataplane_labels = self.dataplane_deployment["spec"]["template"]["metadata"]["labels"]
        for key, value in policy["spec"]["podSelector"]["matchLabels"].items():
            self.assertEqual(controlplane_labels.get(key), value)
        xds_port = flag(self.controlplane_args, "xds-listen").rsplit(":", 1)[1]
        ports = {p["name"]: str(p["containerPort"]) for p in
                 self.controlplane_deployment["spec"]["template"]["spec"]["containers"][0][
                     "ports"]}
        rules_for_xds = [rule for rule in policy["spec"]["ingress"]
                         if any(ports.get(p["port"], str(p["port"])) == xds_port
                                for p in rule.get("ports", []))]
        self.assertEqual(len(rules_for_xds), 1, policy)
        sources = rules_for_xds[0]["from"]
        self.assertEqual(len(sources), 1)
        for key, value in sources[0]["podSelector"]["matchLabels"].items():
            self.assertEqual(dataplane_labels.get(key), value)
        self.assertEqual(policy["spec"]["policyTypes"], ["Ingress"])

        # The data plane: its client certificate only, no API token.
        volume = next(v for v in self.dataplane_pod["volumes"] if v["name"] == "xds-tls")
        self.assertEqual(sorted(item["key"] for item in volume["secret"]["items"]),
                         ["ca.crt", "client.crt", "client.key"])
        self.assertIs(self.dataplane_pod["automountServiceAccountToken"], False)

        # Creating Secrets: a Role in the control plane's namespace, never cluster-wide.
        namespace = flag(self.controlplane_args, "xds-tls-secret").split("/")[0]
        for doc in self.docs:
            if doc["kind"] not in ("Role", "ClusterRole"):
                continue
            for rule in doc["rules"]:
                if "secrets" in rule["resources"] and "create" in rule["verbs"]:
                    self.assertEqual(doc["kind"], "Role")
                    self.assertEqual(doc["metadata"]["namespace"], namespace)


if __name__ == "__main__":
    unittest.main()
