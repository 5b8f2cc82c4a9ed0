"""One tenant cannot hurt another: a table of hostile objects, each written by tenant "mallory"
(who may create Ingresses and Secrets in her own namespace) into the folder a real control plane
reads, with a real data plane serving. For each case, in turn and on top of the ones before:

- the harmful object is refused or contained, and its Ingress says why in words a person can
  read (control characters quoted escaped, never raw);
- what it tried does not happen on the wire (no injected header, no certificate on another
  team's host, no worker held by a regex);
- a second tenant's new Ingress and certificate, written afterwards, are served over HTTPS with
  that certificate within the usual propagation time.

The cases: CR, LF and NUL in every annotation that reaches a header, a cookie, a header lookup
or TLS SNI (session-cookie-name, upstream-hash-by, proxy-ssl-name); a proxy-ssl-secret in
another namespace (refused in the same words whether it exists or not); a regex over the RE2
program-size budget; more regex paths on one host than the budget; a path over 8 KiB on a regex
host (414); a host of the costliest regex paths the budget admits, whose long paths are matched
off the workers' loops while another tenant's request is answered; an RSA-1024 certificate, below the data plane's TLS security level; paths and TLS on a
host another namespace owns (--host-ownership=first-namespace). Afterwards no data plane has
refused anything (the control plane refused it first), the owning team's host still has its own
certificate, and the control plane's log has no line a tenant wrote.
"""

import base64
import json
import os
import random
import re
import socket
import subprocess
import threading
import time
import unittest

import harness
from manifests import backend, endpoint_slice, ingress_class, path, rule, service

# A change travels the folder watch, the debounce and the stream: well under a second.
PROPAGATION = 5.0
INJECTED = "X-Evil: 1"


def make_certificate(folder, name, host, key="ec"):
    crt, key_file = os.path.join(folder, name + ".crt"), os.path.join(folder, name + ".key")
    new_key = (["-newkey", "rsa:1024"] if key == "rsa1024"
               else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    subprocess.run(["openssl", "req", "-x509", *new_key, "-nodes", "-days", "30", "-subj",
                    "/CN=" + host, "-addext", "subjectAltName=DNS:" + host,
                    "-keyout", key_file, "-out", crt], check=True, capture_output=True, timeout=60)
    return crt, key_file


def tls_secret(namespace, name, crt, key):
    def b64(path_):
        with open(path_, "rb") as f:
            return base64.b64encode(f.read()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": namespace},
            "data": {"tls.crt": b64(crt), "tls.key": b64(key)}}


def in_namespace(document, namespace):
    document["metadata"]["namespace"] = namespace
    return document


# The folder source takes an object's age from its metadata.creationTimestamp as written (the API
# server sets it in a cluster): the owning team's Ingress is older than anything mallory writes.
OLD = "2024-01-01T00:00:00Z"
NEW = "2026-01-01T00:00:00Z"


def tenant_ingress(namespace, name, host, service_name="echo", annotations=None, tls=None,
                   paths=None, created=NEW):
    spec = {"ingressClassName": "gatehouse",
            "rules": [rule(host, *(paths or [path("/", "Prefix", service_name)]))]}
    if tls:
        spec["tls"] = [{"hosts": hosts, "secretName": secret} for secret, hosts in tls.items()]
    metadata = {"name": name, "namespace": namespace, "creationTimestamp": created}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata,
            "spec": spec}


def echo_service(namespace, echo):
    return [in_namespace(service("echo", echo.port), namespace),
            in_namespace(endpoint_slice("echo", [echo.host], echo.port), namespace)]


NGINX = "nginx.ingress.kubernetes.io/"


class HostileTenantTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")
            cls.pki = os.path.join(cls.class_dir, "pki")
            os.makedirs(cls.pki)
            cls.shop_crt, shop_key = make_certificate(cls.pki, "shop", "shop.test")
            cls.manifests = harness.ManifestDir(os.path.join(cls.class_dir, "manifests"))
            cls.manifests.write_world({
                "class.yaml": [ingress_class()],
                "team-a.yaml": [
                    *echo_service("team-a", cls.echo),
                    tls_secret("team-a", "shop-tls", cls.shop_crt, shop_key),
                    tenant_ingress("team-a", "shop", "shop.test",
                                   tls={"shop-tls": ["shop.test"]}, created=OLD),
                ],
                "mallory-service.yaml": echo_service("mallory", cls.echo),
            })
            cls.controlplane = harness.ControlPlane(
                cls.class_group, cls.manifests.path, extra_args=["--host-ownership=first-namespace"])
            cls.controlplane.wait_ready()
            cls.https = harness.free_port()
            cls.dataplane = harness.DataPlane(cls.class_group, cls.controlplane.xds_address, "dp",
                                              extra_args=["--https-listen=127.0.0.1:%d" % cls.https])
            cls.dataplane.wait_ready()

    # --- what the control plane says about an Ingress -------------------------------------------

    def report(self, namespace, name):
        """(state, [reasons]) of an Ingress in `gatehousectl status`, or None."""
        text = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                    "status").stdout
        match = re.search(r"(?m)^  %s/%s: (.*)\n((?:    .*\n)*)" % (namespace, name), text)
        if not match:
            return None
        reasons = [line[6:] for line in match.group(2).splitlines() if line.startswith("    - ")]
        return match.group(1), reasons

    def wait_reason(self, namespace, name, pattern):
        def found():
            report = self.report(namespace, name)
            return report if report and any(re.search(pattern, r) for r in report[1]) else None
        return harness.wait_until(found, PROPAGATION, "%s/%s to be reported: %s" % (
            namespace, name, pattern), [self.controlplane.process])

    # --- what the data plane serves ----------------------------------------------------------------

    def curl_https(self, host, ca, path_="/"):
        result = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "--resolve", "%s:%d:127.0.0.1" % (host, self.https),
             "--cacert", ca, "-o", "/dev/null", "-w", "%{http_code}",
             "https://%s:%d%s" % (host, self.https, path_)], capture_output=True, timeout=20)
        return int(result.stdout or 0)

    def second_tenant_is_served(self, index):
        """Team b<index>'s new Ingress and certificate, written now, are served over HTTPS with
        that certificate within the propagation time."""
        host = "b%d.test" % index
        namespace = "team-b%d" % index
        crt, key = make_certificate(self.pki, namespace, host)
        self.manifests.write("%s.yaml" % namespace, *echo_service(namespace, self.echo),
                             tls_secret(namespace, "tls", crt, key),
                             tenant_ingress(namespace, "site", host, tls={"tls": [host]}))
        harness.wait_until(lambda: self.curl_https(host, crt) == 200, PROPAGATION,
                           "%s to be served with its own certificate" % host,
                           [self.controlplane.process, self.dataplane.process])

    # --- the cases -----------------------------------------------------------------------------

    def cases(self):
        weak_crt, weak_key = make_certificate(self.pki, "weak", "weak.test", key="rsa1024")
        fake_crt, fake_key = make_certificate(self.pki, "fake-shop", "shop.test")
        header_values = {"CR LF": "a\r\n" + INJECTED, "NUL": "a\x00b", "LF": "a\n" + INJECTED}
        cases = []
        for what, value in header_values.items():
            cases.append(("session-cookie-name with " + what, [tenant_ingress(
                "mallory", "cookie-" + what.replace(" ", "").lower(),
                "cookie-%s.test" % what.replace(" ", "").lower(),
                annotations={NGINX + "affinity": "cookie", NGINX + "session-cookie-name": value})],
                r"^annotation nginx\.ingress\.kubernetes\.io/session-cookie-name: \"a\\"))
        cases += [
            ("upstream-hash-by with CR LF", [tenant_ingress(
                "mallory", "hash", "hash.test",
                annotations={NGINX + "upstream-hash-by": "$http_x\r\n" + INJECTED})],
             r"^annotation nginx\.ingress\.kubernetes\.io/upstream-hash-by: \"\$http_x\\r\\n"),
            ("proxy-ssl-name with CR LF", [tenant_ingress(
                "mallory", "sni", "sni.test",
                annotations={NGINX + "backend-protocol": "HTTPS",
                             NGINX + "proxy-ssl-name": "echo.svc\r\n" + INJECTED})],
             r"^annotation nginx\.ingress\.kubernetes\.io/proxy-ssl-name: \"echo\.svc\\r\\n"),
            ("proxy-ssl-secret of another namespace, existing", [tenant_ingress(
                "mallory", "ca-there", "ca-there.test",
                annotations={NGINX + "backend-protocol": "HTTPS", NGINX + "proxy-ssl-verify": "on",
                             NGINX + "proxy-ssl-secret": "team-a/shop-tls"})],
             r"proxy-ssl-secret names no Secret this Ingress may read"),
            ("proxy-ssl-secret of another namespace, missing", [tenant_ingress(
                "mallory", "ca-missing", "ca-missing.test",
                annotations={NGINX + "backend-protocol": "HTTPS", NGINX + "proxy-ssl-verify": "on",
                             NGINX + "proxy-ssl-secret": "team-a/no-such"})],
             r"proxy-ssl-secret names no Secret this Ingress may read"),
            ("a regex over the program-size budget", [tenant_ingress(
                "mallory", "regex-big", "regex-big.test",
                annotations={NGINX + "use-regex": "true"},
                paths=[path("/(x|[a-z]{40})", "ImplementationSpecific", "echo")])],
             r"compiles to \d+ RE2 instructions, more than the limit of 200"),
            ("more regex paths on one host than the budget", [tenant_ingress(
                "mallory", "regex-many", "regex-many.test",
                annotations={NGINX + "use-regex": "true"},
                paths=[path("/p%d/[a-z]+" % i, "ImplementationSpecific", "echo")
                       for i in range(33)])],
             r"host regex-many\.test already has 32 regex paths, the most one host may have"),
            ("an RSA-1024 certificate", [
                tls_secret("mallory", "weak", weak_crt, weak_key),
                tenant_ingress("mallory", "weak", "weak.test", tls={"weak": ["weak.test"]})],
             r"secret mallory/weak a data plane would refuse it: .*security level"),
            ("paths and TLS on another namespace's host", [
                tls_secret("mallory", "fake-shop", fake_crt, fake_key),
                tenant_ingress("mallory", "squat", "shop.test", tls={"fake-shop": ["shop.test"]},
                               paths=[path("/admin", "Prefix", "echo")])],
             r"^tls\[0\]: host shop\.test belongs to namespace team-a, whose Ingress named it first"),
        ]
        return cases

    def test_each_hostile_object_is_contained_and_the_next_tenant_is_served(self):
        for index, (name, documents, reason) in enumerate(self.cases()):
            with self.subTest(case=name):
                self.manifests.write("mallory-%d.yaml" % index, *documents)
                ingress_name = [d for d in documents if d["kind"] == "Ingress"][0]["metadata"][
                    "name"]
                state, reasons = self.wait_reason("mallory", ingress_name, reason)
                self.assertIn(state, ("partly accepted", "rejected"), reasons)
                for text in reasons:  # readable: no raw control character in a reason
                    self.assertIsNone(re.search(r"[\x00-\x1f\x7f]", text), text)
                self.second_tenant_is_served(index)

        # What each tried does not happen on the wire.
        for host in ("cookie-crlf.test", "cookie-nul.test", "cookie-lf.test"):
            response = self.dataplane.get(host)
            self.assertEqual(response.status, 200, host)
            self.assertIsNone(response.header("X-Evil"), host)
            self.assertIsNone(response.header("Set-Cookie"), host)  # no affinity at all
        # The same words whether the other namespace's Secret exists or not.
        there = self.report("mallory", "ca-there")[1]
        missing = self.report("mallory", "ca-missing")[1]
        self.assertEqual([r.replace("shop-tls", "X") for r in there],
                         [r.replace("no-such", "X") for r in missing])
        # A path over 8 KiB on a host with regex paths is not matched: 414, at once.
        long_path = "/p1/" + "a" * 9000
        self.assertEqual(self.dataplane.get("regex-many.test", long_path).status, 414)
        self.assertEqual(self.dataplane.routed_to("regex-many.test", "/p1/abc"), "echo")
        # The weak certificate is served nowhere: its host stays on plain HTTP.
        self.assertEqual(self.dataplane.routed_to("weak.test"), "echo")
        # The owning team's host keeps its own certificate, and the squatter's path is absent.
        self.assertEqual(self.curl_https("shop.test", self.shop_crt), 200)
        self.assertEqual(self.curl_https("shop.test", self.shop_crt, "/admin"), 200)
        self.assertIsNone(re.search(r"mallory/squat", json.dumps(
            harness.gatehousectl("--server=127.0.0.1:%d" % self.dataplane.admin,
                                 "config-dump").stdout)))
        # Nothing reached a data plane that it had to refuse.
        proxy_status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                            "proxy-status").stdout
        self.assertNotIn("NACK", proxy_status)
        # No tenant wrote a line of the control plane's log.
        self.assertIsNone(re.search(r"(?m)^X-Evil", self.controlplane.process.log()))
        self.assertIsNone(re.search(r"(?m)^X-Evil", self.dataplane.process.log()))

    def test_a_host_of_costly_regex_paths_holds_no_worker(self):
        """A host with 32 regex paths of the costliest kind the budget admits, each of which must
        read all of a path of 8 KB of a and b: each request costs RE2 tens of milliseconds. On the
        workers' loops, eight of them made another tenant's request wait behind them; matched on
        the blocking pool, the other request is answered before any of them is."""
        tail = "(a|b)" * 61  # with the rest, 196 to 198 RE2 instructions: within the 200
        self.manifests.write("mallory-slow.yaml", tenant_ingress(
            "mallory", "regex-slow", "regex-slow.test", annotations={NGINX + "use-regex": "true"},
            paths=[path("/(a|b)*a%sx%d" % (tail, i), "ImplementationSpecific", "echo")
                   for i in range(32)]))
        self.manifests.write("team-quick.yaml", *echo_service("team-quick", self.echo),
                             tenant_ingress("team-quick", "site", "quick.test"))
        harness.wait_until(
            lambda: (self.dataplane.routed_to("regex-slow.test", "/" + "a" * 62 + "x7") == "echo"
                     and self.dataplane.routed_to("quick.test") == "echo"),
            PROPAGATION, "regex-slow.test and quick.test to be served",
            [self.controlplane.process, self.dataplane.process])
        # A path of its own for each: RE2 shares what it learns of one path between requests.
        chooser = random.Random(7)
        slow_paths = ["/" + "".join(chooser.choice("ab") for _ in range(8000)) for _ in range(8)]
        done = {}

        def exchange(name, host, target):
            with socket.create_connection(("127.0.0.1", self.dataplane.http), timeout=60) as s:
                s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                           % (target, host)).encode())
                answer = harness.read_until_closed(s)
            done[name] = (time.monotonic(), answer.split(b" ", 2)[1])

        # Eight: a worker's blocking pool takes eight of one host's matches (an eighth of 64),
        # so however the two workers share the connections, none is refused.
        slow = [threading.Thread(target=exchange, args=("slow-%d" % i, "regex-slow.test", p))
                for i, p in enumerate(slow_paths)]
        for thread in slow:
            thread.start()
        time.sleep(0.05)  # they have arrived, and their matches begun (each takes 0.1 s or more)
        exchange("quick", "quick.test", "/")
        for thread in slow:
            thread.join(60)
        slow_answers = [done[name] for name in done if name.startswith("slow")]
        self.assertEqual(len(slow_answers), 8)
        self.assertEqual({status for _, status in slow_answers}, {b"404"})  # no 'x': no route
        self.assertEqual(done["quick"][1], b"200")
        self.assertLess(done["quick"][0], min(at for at, _ in slow_answers))

if __name__ == "__main__":
    unittest.main()
