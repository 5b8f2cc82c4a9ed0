"""Each Ingress rule type through a real data plane (issue 3): Exact, Prefix, ImplementationSpecific
as a string prefix and, with use-regex, as a regular expression for that Ingress only; wildcard
hosts; host-less rules; the Ingress's and the controller's default backends; conflicts going to
the oldest Ingress; Ingresses of another class ignored; a backend without ready endpoints.
"""

import subprocess
import unittest

import harness
from manifests import backed_service, endpoint_slice, ingress, ingress_class, path, rule, service

# (Host header, path, echo server expected to answer or "<status>").
ROUTES = [
    ("exact.test", "/only", "a"),
    ("exact.test", "/only/", "default"),          # Exact is the whole path
    ("exact.test", "/ONLY", "default"),           # and case-sensitive
    ("prefix.test", "/docs", "a"),
    ("prefix.test", "/docs/", "a"),
    ("prefix.test", "/docs/v2/page?q=/x", "a"),   # the query never takes part
    ("prefix.test", "/docsx", "default"),         # Prefix matches whole path elements
    ("prefix.test", "/docs/api", "b"),            # the longer path wins
    ("string.test", "/img", "a"),
    ("string.test", "/images/logo.png", "a"),     # ImplementationSpecific: string prefix
    ("regex.test", "/user/42/profile", "b"),      # use-regex on this Ingress
    ("regex.test", "/USER/7", "b"),               # case-insensitive, as ingress-nginx
    ("regex.test", "/user/abc", "<404>"),         # its Ingress has no defaultBackend
    ("regex.test", "/v1.0", "a"),                 # the regex Ingress's "." is a regex dot...
    ("regex.test", "/v1x0", "a"),
    ("string.test", "/a.b", "b"),                 # ...but not in the neighbour's paths
    ("string.test", "/axb", "default"),
    ("one.wild.test", "/", "a"),                  # *.wild.test covers one label
    ("two.one.wild.test", "/", "default"),
    ("wild.test", "/", "default"),
    ("nohost.test", "/anyhost", "b"),             # a rule without host
    ("nohost.test", "/elsewhere", "default"),     # the oldest Ingress's defaultBackend
    ("conflict.test", "/same", "a"),              # the oldest Ingress wins a true conflict
    ("other-class.test", "/", "default"),         # an Ingress of another class is ignored
    ("empty.test", "/", "<503>"),                 # matched, but no ready endpoint
]


class IngressRulesTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = {name: harness.EchoServer(cls.class_group, name)
                        for name in ("a", "b", "default")}

    def world(self):
        services = []
        for name, server in self.echo.items():
            services += backed_service(name, server.host, server.port)
        services += [service("empty", 9), endpoint_slice("empty", ["127.0.0.1"], 9, ready=False)]

        def dated(obj, timestamp, annotations=None):
            obj["metadata"]["creationTimestamp"] = timestamp
            if annotations:
                obj["metadata"]["annotations"] = annotations
            return obj

        regex = {"nginx.ingress.kubernetes.io/use-regex": "true"}
        return {
            "00-class.yaml": [ingress_class(default=False)],
            "10-services.yaml": services,
            "20-ingresses.yaml": [
                dated(ingress("main", default_backend="default", rules=[
                    rule("exact.test", path("/only", "Exact", "a")),
                    rule("prefix.test", path("/docs", "Prefix", "a"), path("/docs/api", "Prefix", "b")),
                    rule("string.test", path("/im", "ImplementationSpecific", "a"),
                         path("/a.b", "ImplementationSpecific", "b")),
                    rule("*.wild.test", path("/", "Prefix", "a")),
                    rule(None, path("/anyhost", "Prefix", "b")),
                    rule("conflict.test", path("/same", "Prefix", "a")),
                    rule("empty.test", path("/", "Prefix", "empty")),
                ]), "2026-01-01T00:00:00Z"),
                dated(ingress("regex", rules=[
                    rule("regex.test", path("/user/[0-9]+", "ImplementationSpecific", "b"),
                         path("/v1.0", "ImplementationSpecific", "a")),
                ]), "2026-01-02T00:00:00Z", regex),
                dated(ingress("younger", rules=[
                    rule("conflict.test", path("/same", "Prefix", "b")),
                ]), "2026-01-03T00:00:00Z"),
                ingress("foreign", class_name="someone-else", rules=[
                    rule("other-class.test", path("/", "Prefix", "a")),
                ]),
            ],
        }

    def test_every_rule_type_through_a_data_plane(self):
        controlplane = self.start_controlplane(self.manifest_dir(self.world()))
        (dataplane,) = self.start_dataplanes(controlplane, count=1)
        for host, request_path, expected in ROUTES:
            with self.subTest(host=host, path=request_path):
                self.assertEqual(dataplane.routed_to(host, request_path), expected)

        status = harness.gatehousectl("--server=127.0.0.1:%d" % controlplane.admin, "status")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("default/main: accepted", status.stdout)
        self.assertIn("default/regex: accepted", status.stdout)
        self.assertRegex(status.stdout, r"default/younger: rejected")
        self.assertIn("already served by default/main (older)", status.stdout)
        self.assertIn("default/foreign: ignored", status.stdout)

    def test_paths_past_8_kib_on_hosts_with_regex_paths_get_414(self):
        # A regex's matching cost grows with the path: on a host with regex paths, a path past
        # 8 KiB is refused (414) instead of matched. HTTP/1.1 refuses such a request line anyway;
        # HTTP/2 carries it in :path, so the route table decides. Other hosts match it.
        controlplane = self.start_controlplane(self.manifest_dir(self.world()))
        (dataplane,) = self.start_dataplanes(controlplane, count=1)
        for host, path, expected in [("regex.test", "/user/1/" + "x" * 8200, "414"),
                                     ("regex.test", "/user/1/" + "x" * 8000, "200"),
                                     ("string.test", "/img/" + "x" * 8200, "200")]:
            with self.subTest(host=host, length=len(path)):
                result = subprocess.run(
                    ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                     "--http2-prior-knowledge", "-H", "Host: " + host, dataplane.url(path)],
                    capture_output=True, text=True, check=False)
                self.assertEqual(result.stdout, expected, result.stderr)


if __name__ == "__main__":
    unittest.main()
