"""What the control plane writes back to Kubernetes, against the test API server (tests/kube):
two replicas elect a leader through a Lease; only the leader sets status.loadBalancer on our
Ingresses (never on another class's) and records an Event on an Ingress it cannot fully apply;
when the leader dies the other replica takes over within the lease time and goes on writing;
a replica stopped cleanly hands the Lease back at once; --publish-service follows the load
balancer's address; a certificate expiring within 14 days gets a Warning Event on each Ingress
serving it, and `gatehousectl status` shows every served certificate's expiry.
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time
import unittest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube"))
from kube_fixture import KubeApiServer  # noqa: E402

WORLD = """apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatehouse, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: gatehouse.dev/ingress-controller}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80, targetPort: 9}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  rules: [{host: web.test, http: {paths: [{path: /, pathType: Prefix,
           backend: {service: {name: web, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: theirs, namespace: default}
spec:
  ingressClassName: someone-else
  rules: [{host: theirs.test, http: {paths: [{path: /, pathType: Prefix,
           backend: {service: {name: web, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken, namespace: default}
spec:
  rules: [{host: broken.test, http: {paths: [{path: /, pathType: Prefix,
           backend: {resource: {apiGroup: example.com, kind: Bucket, name: b}}}]}}]
"""

LEASE = ("get", "lease", "gatehouse-controlplane", "-n", "default")


class KubeStatusTest(harness.GatehouseTestCase):

    def setUp(self):
        super().setUp()
        self.kube = KubeApiServer()
        self.kube.start()
        self.addCleanup(self.kube.stop)
        self.kube.kubectl("apply", "-f", "-", input=WORLD)

    def start_replica(self, name, publish="--publish-address=203.0.113.10"):
        return harness.ControlPlane(
            self.group, name=name, extra_args=[publish],
            source=["--source=kubernetes", "--kubeconfig=" + self.kube.kubeconfig]).process

    def holder(self):
        result = self.kube.kubectl(*LEASE, "-o", "json", check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)["spec"].get("holderIdentity") or None

    def status_of(self, name):
        return self.kube.kubectl_json("get", "ingress", name).get("status", {})

    def start_two(self):
        os.environ["POD_NAME"] = "replica-a"
        a = self.start_replica("replica-a")
        os.environ["POD_NAME"] = "replica-b"
        b = self.start_replica("replica-b")
        del os.environ["POD_NAME"]
        harness.wait_until(lambda: self.holder() in ("replica-a", "replica-b"), 15,
                           "a replica to take the Lease", [a, b])
        return {"replica-a": a, "replica-b": b}

    def test_the_leader_writes_status_and_events_and_another_takes_over(self):
        replicas = self.start_two()
        leader = self.holder()
        published = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}
        harness.wait_until(lambda: self.status_of("web") == published, 15,
                           "the leader to publish the address on our Ingress")
        # Another class's Ingress is left alone.
        self.assertEqual(self.status_of("theirs").get("loadBalancer", {}), {})
        # The Ingress that cannot be fully applied gets an Event saying why, once.
        def events():
            return [e for e in self.kube.kubectl_json("get", "events", "-n", "default")["items"]
                    if e["involvedObject"]["name"] == "broken"]
        harness.wait_until(lambda: events(), 15, "an Event on the broken Ingress")
        (event,) = events()
        self.assertEqual(event["type"], "Warning")
        self.assertIn(event["reason"], ("Rejected", "PartlyAccepted"))
        self.assertIn("resource backends (Bucket b) are not supported", event["message"])
        self.assertEqual(event["involvedObject"]["kind"], "Ingress")
        self.assertEqual(event["involvedObject"]["uid"],
                         self.kube.kubectl_json("get", "ingress", "broken")["metadata"]["uid"])
        described = self.kube.kubectl("describe", "ingress", "broken").stdout
        self.assertIn("resource backends (Bucket b) are not supported", described)
        # Only the leader writes: the other replica's log has no status line.
        follower = [name for name in replicas if name != leader][0]
        self.assertNotIn("status.loadBalancer set", replicas[follower].log())

        # The leader dies without a word: the other takes over within the lease time (15 s,
        # plus its retry period) and writes what is new.
        killed_at = time.monotonic()
        replicas[leader].signal(signal.SIGKILL)
        harness.wait_until(lambda: self.holder() == follower, 20,
                           "the other replica to take the Lease", [replicas[follower]])
        self.assertLess(time.monotonic() - killed_at, 18)
        self.kube.kubectl("apply", "-f", "-", input=WORLD.split("---")[2].replace(
            "name: web, namespace", "name: web-2, namespace").replace("web.test", "web2.test"))
        harness.wait_until(lambda: self.status_of("web-2") == published, 15,
                           "the new leader to publish the address on a new Ingress")

    def test_a_replica_stopped_cleanly_hands_the_lease_over_at_once(self):
        replicas = self.start_two()
        leader = self.holder()
        follower = [name for name in replicas if name != leader][0]
        stopped_at = time.monotonic()
        self.assertEqual(replicas[leader].stop(), 0)
        harness.wait_until(lambda: self.holder() == follower, 10,
                           "the other replica to take the released Lease", [replicas[follower]])
        self.assertLess(time.monotonic() - stopped_at, 6)

    def test_publish_service_publishes_its_load_balancer_address(self):
        # The data planes' Service, as a cloud load balancer would have set its status.
        self.kube.kubectl("apply", "-f", "-", input="""apiVersion: v1
kind: Service
metadata: {name: gatehouse, namespace: edge}
spec: {type: LoadBalancer, ports: [{name: http, port: 80, targetPort: 8080}]}
""")
        response = self.kube.request(
            "PATCH", "/api/v1/namespaces/edge/services/gatehouse/status",
            body={"status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.net"}]}}},
            content_type="application/merge-patch+json")
        self.assertEqual(response.status, 200, response.json())
        self.start_replica("replica", publish="--publish-service=edge/gatehouse")
        harness.wait_until(
            lambda: self.status_of("web") ==
            {"loadBalancer": {"ingress": [{"hostname": "lb.example.net"}]}}, 20,
            "the load balancer's name on our Ingress")
        # The load balancer's address changes: so does the Ingress's.
        self.kube.request(
            "PATCH", "/api/v1/namespaces/edge/services/gatehouse/status",
            body={"status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.7"}]}}},
            content_type="application/merge-patch+json")
        harness.wait_until(
            lambda: self.status_of("web") ==
            {"loadBalancer": {"ingress": [{"ip": "198.51.100.7"}]}}, 10,
            "the new address on our Ingress")

    def test_a_certificate_expiring_within_14_days_is_warned_of_on_its_ingress(self):
        def secret(name, days):
            crt, key = os.path.join(self.dir, name + ".crt"), os.path.join(self.dir, name + ".key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-days", str(days), "-subj",
                            "/CN=%s.test" % name, "-keyout", key, "-out", crt],
                           check=True, capture_output=True, timeout=60)
            data = {}
            for field, path in (("tls.crt", crt), ("tls.key", key)):
                with open(path, "rb") as f:
                    data[field] = base64.b64encode(f.read()).decode()
            return json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                               "metadata": {"name": name, "namespace": "default"},
                               "data": data})

        def ingress(name):
            return json.dumps({
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"tls": [{"hosts": [name + ".test"], "secretName": name}],
                         "rules": [{"host": name + ".test", "http": {"paths": [{
                             "path": "/", "pathType": "Prefix", "backend": {"service": {
                                 "name": "web", "port": {"number": 80}}}}]}}]}})

        for name, days in (("soon", 5), ("later", 60), ("today", 1)):
            self.kube.kubectl("apply", "-f", "-", input=secret(name, days))
            self.kube.kubectl("apply", "-f", "-", input=ingress(name))
        replica = harness.ControlPlane(
            self.group, name="replica", extra_args=["--publish-address=203.0.113.10"],
            source=["--source=kubernetes", "--kubeconfig=" + self.kube.kubeconfig])

        def events(name):
            return [e for e in self.kube.kubectl_json("get", "events", "-n", "default")["items"]
                    if e["involvedObject"]["name"] == name]
        harness.wait_until(lambda: events("soon"), 20, "an Event on the Ingress whose "
                           "certificate expires in 5 days", [replica.process])
        (event,) = events("soon")
        self.assertEqual(event["type"], "Warning")
        self.assertEqual(event["reason"], "CertificateExpiring")
        self.assertRegex(event["message"], r"^tls\[0\]: the certificate in Secret default/soon "
                         r"expires at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ, in 4 days; renew it$")
        # Within two days, the time left is said in hours.
        harness.wait_until(lambda: events("today"), 20, "an Event on the Ingress whose "
                           "certificate expires tomorrow", [replica.process])
        self.assertRegex(events("today")[0]["message"], r", in 23 hours; renew it$")
        # Ingresses whose certificates have longer are told nothing; the Event is not repeated.
        harness.wait_until(lambda: self.status_of("later").get("loadBalancer"), 15,
                           "the leader to write the other Ingress's status", [replica.process])
        time.sleep(3)  # a writer round or more
        self.assertEqual(events("later"), [])
        self.assertEqual(len(events("soon")), 1)
        status = harness.gatehousectl("--server=127.0.0.1:%d" % replica.admin, "status").stdout
        self.assertRegex(status, r"default/later: accepted\n    certificate tls\[0\] "
                         r"\(default/later\): valid until 20\d\d-")
        self.assertRegex(status, r"default/soon: accepted\n    certificate tls\[0\] "
                         r"\(default/soon\): valid until 20\d\d-")

    def test_annotations_that_do_nothing_here_are_named_in_a_warning_event(self):
        # The migration report (docs/annotations.md): an annotation ingress-nginx users set
        # that Gatehouse does not apply goes into a Warning Event on its Ingress.
        self.kube.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "migrated", "namespace": "default", "annotations": {
                "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
                "nginx.ingress.kubernetes.io/configuration-snippet":
                    'more_set_headers "X-Frame-Options: DENY";',
                "nginx.ingress.kubernetes.io/proxy-buffering": "off",
                "nginx.ingress.kubernetes.io/app-root": "/app"}},
            "spec": {"rules": [{"host": "migrated.test", "http": {"paths": [{
                "path": "/", "pathType": "Prefix", "backend": {"service": {
                    "name": "web", "port": {"number": 80}}}}]}}]}}))
        replica = self.start_replica("replica")

        def events():
            return [e for e in self.kube.kubectl_json("get", "events", "-n", "default")["items"]
                    if e["involvedObject"]["name"] == "migrated"
                    and e["reason"] == "AnnotationsNotApplied"]
        harness.wait_until(events, 20, "the AnnotationsNotApplied Event", [replica])
        (event,) = events()
        self.assertEqual(event["type"], "Warning")
        message = event["message"]
        self.assertTrue(message.startswith("2 annotations are not applied: "), message)
        self.assertIn("nginx.ingress.kubernetes.io/affinity-mode ignored: not supported", message)
        self.assertIn("nginx.ingress.kubernetes.io/configuration-snippet refused: annotation "
                      "nginx.ingress.kubernetes.io/configuration-snippet: raw nginx configuration "
                      "is never interpreted", message)
        self.assertIn("use gatehouse.dev/response-headers with", message)
        self.assertNotIn("proxy-buffering", message)  # not needed: nothing to warn of
        self.assertNotIn("app-root", message)


if __name__ == "__main__":
    unittest.main()
