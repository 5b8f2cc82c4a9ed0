"""Self-test of the test Kubernetes API server (apiserver.py), through the interfaces its users
have: the real kubectl, and raw HTTPS requests and watches (kube_fixture).

Run: cd tests/kube && python3 -m unittest -v test_apiserver
(KUBECTL=/path/to/kubectl picks another kubectl than /usr/bin/kubectl.)
"""

import base64
import json
import os
import shutil
import string
import time
import unittest
import urllib.parse

from kube_fixture import KubeApiServer, WatchCut

KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")

PEM_CERT = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
PEM_KEY = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")

MANIFEST = string.Template("""\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: $ns-class
spec:
  controller: gatehouse.dev/ingress-controller
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: $ns
spec:
  ingressClassName: $ns-class
  tls:
  - hosts: [$host]
    secretName: web-tls
  rules:
  - host: $host
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              name: http
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: $ns
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: $target_port
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: $ns
  labels:
    kubernetes.io/service-name: web
addressType: IPv4
endpoints:
- addresses: ["10.1.0.1"]
  conditions:
    ready: true
ports:
- name: http
  port: $target_port
  protocol: TCP
---
apiVersion: v1
kind: Secret
metadata:
  name: web-tls
  namespace: $ns
type: kubernetes.io/tls
data:
  tls.crt: $cert
  tls.key: $key
""")


def manifest(ns, host="a.example.com", target_port=8080):
    return MANIFEST.substitute(ns=ns, host=host, target_port=target_port,
                               cert=PEM_CERT.decode(), key=PEM_KEY.decode())


def service(name, labels=None, port=80):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"selector": {"app": name}, "ports": [{"port": port}]}}


def ingress(name, host="a.example.com"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name},
            "spec": {"rules": [{"host": host, "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}


def wait_until(condition, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s (last: %r)" % (what, value))
        time.sleep(0.05)


class ServerTestCase(unittest.TestCase):
    """One API server for the whole class."""

    server_options = {"bookmark_interval": 0.5}

    @classmethod
    def setUpClass(cls):
        cls.kube = KubeApiServer(**cls.server_options).start()

    @classmethod
    def tearDownClass(cls):
        cls.kube.stop()

    def call(self, method, path, body=None, expect=200, **kwargs):
        response = self.kube.request(method, path, body, **kwargs)
        self.assertEqual(response.status, expect, response)
        return response.json() if response.body.strip() else None

    def assertStatus(self, response, code, reason):
        self.assertEqual(response.status, code, response)
        status = response.json()
        self.assertEqual((status["kind"], status["apiVersion"], status["status"], status["code"],
                          status["reason"]), ("Status", "v1", "Failure", code, reason), status)
        return status

    def list_rv(self, path):
        return self.call("GET", path)["metadata"]["resourceVersion"]


@unittest.skipUnless(shutil.which(KUBECTL), "kubectl not installed (tools/install-deps.sh --test)")
class KubectlTest(ServerTestCase):
    """The real kubectl against the server."""

    def test_apply_get_and_delete_every_kind(self):
        kube = self.kube
        out = kube.kubectl("apply", "-f", "-", input=manifest("apply")).stdout
        for created in ("ingressclass.networking.k8s.io/apply-class created",
                        "ingress.networking.k8s.io/web created", "service/web created",
                        "endpointslice.discovery.k8s.io/web-abc12 created",
                        "secret/web-tls created"):
            self.assertIn(created, out)

        ingress = kube.kubectl_json("get", "ingress", "web", "-n", "apply")
        self.assertEqual((ingress["kind"], ingress["apiVersion"]),
                         ("Ingress", "networking.k8s.io/v1"))
        metadata = ingress["metadata"]
        self.assertEqual(metadata["namespace"], "apply")
        self.assertTrue(metadata["uid"] and metadata["creationTimestamp"].endswith("Z"))
        self.assertTrue(metadata["resourceVersion"].isdigit())
        self.assertEqual(metadata["generation"], 1)
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration", metadata["annotations"])
        self.assertEqual(ingress["status"], {"loadBalancer": {}})

        svc = kube.kubectl_json("get", "service", "web", "-n", "apply")
        self.assertTrue(svc["spec"]["clusterIP"].startswith("10.96."))
        self.assertEqual(svc["spec"]["ports"], [{"name": "http", "port": 80, "protocol": "TCP",
                                                 "targetPort": 8080}])
        endpoint_slice = kube.kubectl_json("get", "endpointslice", "web-abc12", "-n", "apply")
        self.assertEqual(endpoint_slice["endpoints"][0]["addresses"], ["10.1.0.1"])
        secret = kube.kubectl_json("get", "secret", "web-tls", "-n", "apply")
        self.assertEqual(secret["type"], "kubernetes.io/tls")
        self.assertEqual(sorted(secret["data"]), ["tls.crt", "tls.key"])
        ingress_class = kube.kubectl_json("get", "ingressclass", "apply-class")
        self.assertNotIn("namespace", ingress_class["metadata"])

        out = kube.kubectl("apply", "-f", "-",
                           input=manifest("apply", host="b.example.com", target_port=9090)).stdout
        self.assertIn("ingress.networking.k8s.io/web configured", out)
        self.assertIn("secret/web-tls unchanged", out)
        changed = kube.kubectl_json("get", "ingress", "web", "-n", "apply")
        self.assertEqual(changed["spec"]["rules"][0]["host"], "b.example.com")
        self.assertEqual(changed["metadata"]["generation"], 2)
        self.assertGreater(int(changed["metadata"]["resourceVersion"]),
                           int(metadata["resourceVersion"]))
        svc = kube.kubectl_json("get", "service", "web", "-n", "apply")
        self.assertEqual(svc["spec"]["ports"][0]["targetPort"], 9090)

        kube.kubectl("delete", "-f", "-", input=manifest("apply"))
        gone = kube.kubectl("get", "ingress", "web", "-n", "apply", check=False)
        self.assertNotEqual(gone.returncode, 0)
        self.assertIn("NotFound", gone.stderr)
        self.assertEqual(kube.kubectl("get", "ingressclass", "-o", "name").stdout.strip(), "")

    def test_patch_strategic_merge_and_json(self):
        kube = self.kube
        kube.kubectl("apply", "-f", "-", input=json.dumps(dict(
            service("api"), metadata={"name": "api", "namespace": "patch"},
            spec={"selector": {"app": "api"}, "ports": [
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "https", "port": 443, "targetPort": 8443}]})))
        kube.kubectl("patch", "service", "api", "-n", "patch",
                     "-p", '{"spec":{"ports":[{"port":443,"targetPort":9443}]}}')
        kube.kubectl("patch", "service", "api", "-n", "patch", "--type=merge",
                     "-p", '{"metadata":{"labels":{"tier":"web"}}}')
        kube.kubectl("patch", "service", "api", "-n", "patch", "--type=json",
                     "-p", '[{"op":"replace","path":"/spec/selector","value":{"app":"v2"}}]')
        svc = kube.kubectl_json("get", "service", "api", "-n", "patch")
        ports = {p["port"]: p["targetPort"] for p in svc["spec"]["ports"]}
        self.assertEqual(ports, {80: 8080, 443: 9443}, "ports are merged by their port number")
        self.assertEqual(svc["metadata"]["labels"], {"tier": "web"})
        self.assertEqual(svc["spec"]["selector"], {"app": "v2"})
        failed = kube.kubectl("patch", "service", "api", "-n", "patch", "--type=json", "-p",
                              '[{"op":"test","path":"/spec/type","value":"NodePort"}]', check=False)
        self.assertNotEqual(failed.returncode, 0)

        kube.kubectl("apply", "-f", "-", input=manifest("patch"))
        kube.kubectl("patch", "ingress", "web", "-n", "patch", "--type=merge",
                     "-p", '{"spec":{"tls":null}}')
        kube.kubectl("patch", "endpointslice", "web-abc12", "-n", "patch", "--type=json", "-p",
                     '[{"op":"add","path":"/endpoints/-","value":{"addresses":["10.1.0.2"]}}]')
        kube.kubectl("patch", "ingressclass", "patch-class",
                     "-p", '{"metadata":{"annotations":{"ingressclass.kubernetes.io/'
                     'is-default-class":"true"}}}')
        self.assertNotIn("tls", kube.kubectl_json("get", "ingress", "web", "-n", "patch")["spec"])
        endpoint_slice = kube.kubectl_json("get", "endpointslice", "web-abc12", "-n", "patch")
        self.assertEqual([e["addresses"] for e in endpoint_slice["endpoints"]],
                         [["10.1.0.1"], ["10.1.0.2"]])
        self.assertEqual(endpoint_slice["metadata"]["generation"], 2)
        ingress_class = kube.kubectl_json("get", "ingressclass", "patch-class")
        self.assertEqual(ingress_class["metadata"]["annotations"]
                         ["ingressclass.kubernetes.io/is-default-class"], "true")
        immutable = kube.kubectl("patch", "ingressclass", "patch-class", "--type=merge",
                                 "-p", '{"spec":{"controller":"other.dev/x"}}', check=False)
        self.assertIn("field is immutable", immutable.stderr)

    def test_edit(self):
        kube = self.kube
        kube.kubectl("apply", "-f", "-", input=manifest("edit"))
        kube.kubectl("edit", "ingress", "web", "-n", "edit",
                     env={"KUBE_EDITOR": "sed -i s/a.example.com/edited.example.com/",
                          "EDITOR": ""})
        edited = kube.kubectl_json("get", "ingress", "web", "-n", "edit")
        self.assertEqual(edited["spec"]["rules"][0]["host"], "edited.example.com")

    def test_get_prints_the_real_columns(self):
        kube = self.kube
        kube.kubectl("apply", "-f", "-", input=manifest("table", host="table.example.com"))
        out = kube.kubectl("get", "ingress", "-n", "table").stdout
        self.assertIn("HOSTS", out)
        self.assertIn("table.example.com", out)
        out = kube.kubectl("get", "services", "-A").stdout
        self.assertIn("CLUSTER-IP", out)
        self.assertIn("table", out)

    def test_selectors(self):
        kube = self.kube
        # "kubectl create -f" rather than "kubectl create secret|service ...": kubectl 1.33 and
        # later send protobuf from those generators, which this server does not read.
        kube.kubectl("apply", "-f", "-", input=manifest("selectors"))
        kube.kubectl("create", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": "plain", "namespace": "selectors"}, "stringData": {"a": "b"}}))
        names = kube.kubectl("get", "secrets", "-n", "selectors", "-o", "name",
                             "--field-selector", "type=kubernetes.io/tls").stdout.split()
        self.assertEqual(names, ["secret/web-tls"])
        for name, tier in (("one", "web"), ("two", "api"), ("three", None)):
            svc = service(name)
            svc["metadata"]["namespace"] = "selectors"
            kube.kubectl("create", "-f", "-", input=json.dumps(svc))
            if tier:
                kube.kubectl("label", "service", name, "-n", "selectors", "tier=" + tier)

        def names_for(selector):
            return sorted(kube.kubectl("get", "services", "-n", "selectors", "-o", "name",
                                       "-l", selector).stdout.split())
        self.assertEqual(names_for("tier in (web,api)"), ["service/one", "service/two"])
        self.assertEqual(names_for("tier!=web"), ["service/three", "service/two", "service/web"])
        self.assertEqual(names_for("!tier"), ["service/three", "service/web"])
        self.assertEqual(names_for("tier,tier notin (api)"), ["service/one"])
        bogus = kube.kubectl("get", "secrets", "-n", "selectors", "--field-selector", "bogus=1",
                             check=False)
        self.assertNotEqual(bogus.returncode, 0)
        self.assertIn("field label not supported: bogus", bogus.stderr)


class ListTest(ServerTestCase):
    def test_list_shape(self):
        empty = self.call("GET", "/api/v1/namespaces/nothing-here/services")
        self.assertEqual((empty["kind"], empty["apiVersion"], empty["items"]),
                         ("ServiceList", "v1", []))
        self.assertEqual(list(empty["metadata"]), ["resourceVersion"])
        self.call("POST", "/apis/networking.k8s.io/v1/namespaces/shape/ingresses", ingress("i"),
                  expect=201)
        listed = self.call("GET", "/apis/networking.k8s.io/v1/ingresses")
        self.assertEqual(listed["kind"], "IngressList")
        item = next(i for i in listed["items"] if i["metadata"]["namespace"] == "shape")
        self.assertNotIn("kind", item)
        self.assertNotIn("apiVersion", item)
        namespaces = [i["metadata"]["name"]
                      for i in self.call("GET", "/api/v1/namespaces")["items"]]
        self.assertIn("default", namespaces)
        self.assertIn("shape", namespaces, "a namespace comes into being with its first object")

    def test_pagination_is_a_consistent_snapshot(self):
        for i in range(7):
            self.call("POST", "/api/v1/namespaces/pages/services", service("s%d" % i), expect=201)
        self.kube.reset_stats()
        first = self.call("GET", "/api/v1/namespaces/pages/services?limit=3")
        rv = first["metadata"]["resourceVersion"]
        self.assertEqual(len(first["items"]), 3)
        self.assertEqual(first["metadata"]["remainingItemCount"], 4)
        self.call("POST", "/api/v1/namespaces/pages/services", service("s7"), expect=201)
        names = [i["metadata"]["name"] for i in first["items"]]
        token = first["metadata"]["continue"]
        while token:
            page = self.call("GET", "/api/v1/namespaces/pages/services?limit=3&continue="
                             + urllib.parse.quote(token))
            self.assertEqual(page["metadata"]["resourceVersion"], rv)
            names += [i["metadata"]["name"] for i in page["items"]]
            token = page["metadata"].get("continue")
        self.assertEqual(names, ["s%d" % i for i in range(7)], "s7 came after the snapshot")
        self.assertEqual(len(self.call("GET", "/api/v1/namespaces/pages/services")["items"]), 8)
        queries = [entry["query"] for entry in self.kube.stats()["lists"]]
        self.assertEqual(queries[0], "limit=3")
        self.assertTrue(all(q.startswith("limit=3&continue=") for q in queries[1:3]), queries)

    def test_exact_resource_version(self):
        rv = self.list_rv("/api/v1/namespaces/exact/services")
        self.call("POST", "/api/v1/namespaces/exact/services", service("later"), expect=201)
        then = self.call("GET", "/api/v1/namespaces/exact/services?resourceVersion=%s"
                         "&resourceVersionMatch=Exact" % rv)
        self.assertEqual((then["metadata"]["resourceVersion"], then["items"]), (rv, []))
        now = self.call("GET", "/api/v1/namespaces/exact/services?resourceVersion=%s"
                        "&resourceVersionMatch=NotOlderThan" % rv)
        self.assertEqual(len(now["items"]), 1)
        self.assertGreater(int(now["metadata"]["resourceVersion"]), int(rv))
        response = self.kube.request("GET", "/api/v1/services?resourceVersionMatch=Exact")
        self.assertStatus(response, 422, "Invalid")

    def test_selector_errors(self):
        response = self.kube.request("GET", "/api/v1/secrets?fieldSelector=spec.bogus%3Dx")
        status = self.assertStatus(response, 400, "BadRequest")
        self.assertIn("field label not supported", status["message"])
        response = self.kube.request("GET", "/api/v1/services?labelSelector=a%20in%20(")
        self.assertStatus(response, 400, "BadRequest")

    def test_secret_type_field_selector(self):
        base = "/api/v1/namespaces/secrets/secrets"
        self.call("POST", base, {"metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
                                 "data": {"tls.crt": PEM_CERT.decode(),
                                          "tls.key": PEM_KEY.decode()}}, expect=201)
        self.call("POST", base, {"metadata": {"name": "opaque"}, "stringData": {"a": "b"}},
                  expect=201)
        missing_key = self.kube.request("POST", base, {"metadata": {"name": "bad"},
                                                       "type": "kubernetes.io/tls", "data": {}})
        self.assertStatus(missing_key, 422, "Invalid")

        def names(selector):
            listed = self.call("GET", base + "?fieldSelector=" + urllib.parse.quote(selector))
            return [i["metadata"]["name"] for i in listed["items"]]
        self.assertEqual(names("type=kubernetes.io/tls"), ["tls"])
        self.assertEqual(names("type!=kubernetes.io/tls"), ["opaque"])
        self.assertEqual(names("metadata.name=opaque,type=Opaque"), ["opaque"])
        opaque = self.call("GET", base + "/opaque")
        self.assertEqual(opaque["data"], {"a": base64.b64encode(b"b").decode()})
        self.assertNotIn("stringData", opaque)


class WatchTest(ServerTestCase):
    def test_watch_from_a_list_rv_sees_changes_in_order(self):
        base = "/api/v1/namespaces/watched/services"
        rv = self.list_rv(base)
        watch = self.kube.watch(base + "?watch=1&resourceVersion=" + rv)
        self.assertEqual(watch.status, 200)
        self.assertEqual(watch.headers["Transfer-Encoding"], "chunked")
        self.assertEqual(watch.headers["Content-Type"], "application/json")
        created = self.call("POST", base, service("w"), expect=201)
        created["metadata"]["labels"] = {"changed": "yes"}
        updated = self.call("PUT", base + "/w", created)
        deleted = self.call("DELETE", base + "/w")
        events = [watch.next_event() for _ in range(3)]
        watch.close()
        self.assertEqual([e["type"] for e in events], ["ADDED", "MODIFIED", "DELETED"])
        self.assertTrue(all(e["object"]["kind"] == "Service" and e["object"]["apiVersion"] == "v1"
                            for e in events))
        rvs = [e["object"]["metadata"]["resourceVersion"] for e in events]
        self.assertEqual(rvs, [created["metadata"]["resourceVersion"],
                               updated["metadata"]["resourceVersion"],
                               deleted["metadata"]["resourceVersion"]])
        self.assertEqual(sorted(rvs, key=int), rvs)
        self.assertEqual(len(set(rvs)), 3)
        self.assertEqual(events[2]["object"]["metadata"]["labels"], {"changed": "yes"},
                         "DELETED carries the last state")

    def test_watch_without_rv_starts_with_the_current_state(self):
        base = "/api/v1/namespaces/initial/services"
        for name in ("a", "b"):
            self.call("POST", base, service(name), expect=201)
        for query in ("watch=1&timeoutSeconds=1", "watch=true&resourceVersion=0&timeoutSeconds=1",
                      "watch=&timeoutSeconds=1"):
            watch = self.kube.watch(base + "?" + query)
            self.assertEqual([(e["type"], e["object"]["metadata"]["name"])
                              for e in (watch.next_event(), watch.next_event())],
                             [("ADDED", "a"), ("ADDED", "b")], query)
            self.assertIsNone(watch.next_event(timeout=5), "then the timeout ends it")

    def test_bookmarks(self):
        rv = self.list_rv("/api/v1/namespaces/bookmarks/services")
        watch = self.kube.watch("/api/v1/namespaces/bookmarks/services?watch=1&"
                                "allowWatchBookmarks=true&resourceVersion=" + rv)
        bookmark = watch.next_event(timeout=5)
        self.assertEqual(bookmark["type"], "BOOKMARK")
        self.assertEqual(bookmark["object"]["kind"], "Service")
        self.assertEqual(set(bookmark["object"]), {"kind", "apiVersion", "metadata"})
        self.assertGreaterEqual(int(bookmark["object"]["metadata"]["resourceVersion"]), int(rv))
        watch.close()
        quiet = self.kube.watch("/api/v1/namespaces/bookmarks/services?watch=1&resourceVersion="
                                + rv)
        with self.assertRaises(TimeoutError, msg="no bookmarks unless allowed"):
            quiet.next_event(timeout=1.2)
        quiet.close()

    def test_timeout_seconds_ends_the_stream_cleanly(self):
        rv = self.list_rv("/api/v1/services")
        started = time.monotonic()
        watch = self.kube.watch("/api/v1/services?watch=1&timeoutSeconds=1&resourceVersion=" + rv)
        self.assertIsNone(watch.next_change(timeout=5))
        self.assertLess(time.monotonic() - started, 3)

    def test_send_initial_events(self):
        base = "/api/v1/namespaces/streaming/services"
        self.call("POST", base, service("s"), expect=201)
        watch = self.kube.watch(base + "?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
                                "&resourceVersionMatch=NotOlderThan&resourceVersion=")
        added, marker = watch.next_event(), watch.next_event()
        watch.close()
        self.assertEqual((added["type"], added["object"]["metadata"]["name"]), ("ADDED", "s"))
        self.assertEqual(marker["type"], "BOOKMARK")
        self.assertEqual(marker["object"]["metadata"]["annotations"],
                         {"k8s.io/initial-events-end": "true"})
        rejected = self.kube.watch(base + "?watch=1&sendInitialEvents=true")
        self.assertEqual(rejected.status, 422)

    def test_label_selector_follows_objects_in_and_out(self):
        base = "/api/v1/namespaces/following/services"
        self.call("POST", base, service("a", {"tier": "web"}), expect=201)
        rv = self.list_rv(base)
        watch = self.kube.watch(base + "?watch=1&labelSelector=tier%3Dweb&resourceVersion=" + rv)
        merge = "application/merge-patch+json"
        self.call("PATCH", base + "/a", {"metadata": {"labels": {"tier": "db"}}},
                  content_type=merge)
        self.call("POST", base, service("b", {"tier": "db"}), expect=201)
        self.call("PATCH", base + "/b", {"metadata": {"labels": {"tier": "web"}}},
                  content_type=merge)
        self.call("PATCH", base + "/b", {"metadata": {"annotations": {"x": "y"}}},
                  content_type=merge)
        events = [watch.next_change() for _ in range(3)]
        watch.close()
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events],
                         [("DELETED", "a"), ("ADDED", "b"), ("MODIFIED", "b")])
        self.assertEqual(events[0]["object"]["metadata"]["labels"], {"tier": "web"},
                         "a DELETED for leaving the selector carries the state that matched")

    def test_drop_watches_cuts_connections(self):
        rv = self.list_rv("/api/v1/services")
        watches = [self.kube.watch("/api/v1/services?watch=1&resourceVersion=" + rv)
                   for _ in range(2)]
        wait_until(lambda: len(self.kube.stats()["open_watches"]) == 2, what="two open watches")
        self.assertEqual(self.kube.drop_watches(), 2)
        for watch in watches:
            with self.assertRaises(WatchCut):
                watch.next_change(timeout=5)
        self.assertEqual(self.kube.stats()["open_watches"], [])

    def test_watch_statistics(self):
        self.kube.reset_stats()
        watch = self.kube.watch("/apis/networking.k8s.io/v1/ingresses?watch=1&timeoutSeconds=1")
        watch.next_change()
        stats = self.kube.stats()
        self.assertEqual(stats["requests"].get("watch ingresses.networking.k8s.io"), 1)
        self.assertEqual(stats["watches"], [{"resource": "ingresses.networking.k8s.io",
                                             "namespace": "",
                                             "query": "watch=1&timeoutSeconds=1"}])


class WriteTest(ServerTestCase):
    def test_status_subresource(self):
        base = "/apis/networking.k8s.io/v1/namespaces/status/ingresses"
        body = ingress("web")
        body["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}
        created = self.call("POST", base, body, expect=201)
        self.assertEqual(created["status"], {"loadBalancer": {}}, "create clears the status")

        created["spec"]["rules"][0]["host"] = "b.example.com"
        created["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.2"}]}}
        updated = self.call("PUT", base + "/web", created)
        self.assertEqual(updated["spec"]["rules"][0]["host"], "b.example.com")
        self.assertEqual(updated["status"], {"loadBalancer": {}}, "PUT keeps the stored status")
        self.assertEqual(updated["metadata"]["generation"], 2)

        updated["spec"]["rules"][0]["host"] = "c.example.com"
        updated["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.3"}]}}
        status_put = self.call("PUT", base + "/web/status", updated)
        self.assertEqual(status_put["spec"]["rules"][0]["host"], "b.example.com",
                         "PUT /status keeps the stored spec")
        self.assertEqual(status_put["status"]["loadBalancer"]["ingress"], [{"ip": "192.0.2.3"}])
        self.assertEqual(status_put["metadata"]["generation"], 2)

        patched = self.call("PATCH", base + "/web/status",
                            {"status": {"loadBalancer": {"ingress": [{"hostname": "lb"}]}},
                             "spec": {"ingressClassName": "ignored"}},
                            content_type="application/merge-patch+json")
        self.assertEqual(patched["status"]["loadBalancer"]["ingress"], [{"hostname": "lb"}])
        self.assertNotIn("ingressClassName", patched["spec"])

        svc_base = "/api/v1/namespaces/status/services"
        self.call("POST", svc_base, service("lb"), expect=201)
        svc = self.call("PATCH", svc_base + "/lb/status",
                        {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.9"}]}}},
                        content_type="application/merge-patch+json")
        self.assertEqual(svc["status"]["loadBalancer"]["ingress"], [{"ip": "192.0.2.9"}])

    def test_conflicts_and_not_found(self):
        base = "/api/v1/namespaces/conflicts/services"
        first = self.call("POST", base, service("x"), expect=201)
        self.assertStatus(self.kube.request("POST", base, service("x")), 409, "AlreadyExists")
        first["metadata"]["labels"] = {"v": "1"}
        self.call("PUT", base + "/x", first)
        first["metadata"]["labels"] = {"v": "2"}
        stale = self.assertStatus(self.kube.request("PUT", base + "/x", first), 409, "Conflict")
        self.assertIn("the object has been modified", stale["message"])
        missing = self.assertStatus(self.kube.request("GET", base + "/nope"), 404, "NotFound")
        self.assertEqual(missing["message"], 'services "nope" not found')
        self.assertEqual(missing["details"], {"name": "nope", "kind": "services"})

    def test_no_op_update_writes_nothing(self):
        base = "/api/v1/namespaces/noop/services"
        created = self.call("POST", base, service("same"), expect=201)
        again = self.call("PUT", base + "/same", created)
        self.assertEqual(again["metadata"]["resourceVersion"],
                         created["metadata"]["resourceVersion"])

    def test_lease_needs_a_resource_version_to_update(self):
        base = "/apis/coordination.k8s.io/v1/namespaces/leases/leases"
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": "leader"},
                 "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15,
                          "renewTime": "2026-01-02T03:04:05.123456Z"}}
        created = self.call("PUT", base + "/leader", lease, expect=201)
        lease["spec"]["holderIdentity"] = "b"
        self.assertStatus(self.kube.request("PUT", base + "/leader", lease), 422, "Invalid")
        lease["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
        renewed = self.call("PUT", base + "/leader", lease)
        self.assertEqual(renewed["spec"]["renewTime"], "2026-01-02T03:04:05.123456Z")
        self.assertStatus(self.kube.request("PUT", base + "/leader", lease), 409, "Conflict")

    def test_finalizers_hold_deletion(self):
        base = "/api/v1/namespaces/finalizers/services"
        svc = service("held")
        svc["metadata"]["finalizers"] = ["example.com/cleanup"]
        self.call("POST", base, svc, expect=201)
        terminating = self.call("DELETE", base + "/held")
        self.assertIn("deletionTimestamp", terminating["metadata"])
        self.call("PATCH", base + "/held", {"metadata": {"finalizers": None}},
                  content_type="application/merge-patch+json")
        self.assertStatus(self.kube.request("GET", base + "/held"), 404, "NotFound")

    def test_deleting_a_namespace_deletes_its_objects(self):
        self.call("POST", "/api/v1/namespaces/doomed/services", service("x"), expect=201)
        self.call("DELETE", "/api/v1/namespaces/doomed")
        self.assertStatus(self.kube.request("GET", "/api/v1/namespaces/doomed/services/x"),
                          404, "NotFound")

    def test_events_in_both_api_groups(self):
        event = {"metadata": {"name": "web.1"}, "reason": "Sync", "message": "synced",
                 "type": "Normal",
                 "involvedObject": {"kind": "Ingress", "namespace": "ev", "name": "web"}}
        self.call("POST", "/api/v1/namespaces/ev/events", event, expect=201)
        other = dict(event, metadata={"name": "other.1"}, involvedObject={"name": "other"})
        self.call("POST", "/api/v1/namespaces/ev/events", other, expect=201)
        seen = self.call("GET", "/apis/events.k8s.io/v1/namespaces/ev/events/web.1")
        self.assertEqual((seen["apiVersion"], seen["note"], seen["regarding"]["name"]),
                         ("events.k8s.io/v1", "synced", "web"))
        listed = self.call("GET", "/api/v1/namespaces/ev/events?fieldSelector="
                           + urllib.parse.quote("involvedObject.name=web,reason=Sync"))
        self.assertEqual([i["metadata"]["name"] for i in listed["items"]], ["web.1"])

    def test_authentication(self):
        for token in (False, "wrong"):
            response = self.kube.request("GET", "/api/v1/services", token=token)
            self.assertStatus(response, 401, "Unauthorized")
        self.assertEqual(self.kube.watch("/api/v1/services?watch=1", token="wrong").status, 401)

    def test_throttle(self):
        self.kube.throttle(2, retry_after=3)
        for _ in range(2):
            response = self.kube.request("GET", "/api/v1/services")
            status = self.assertStatus(response, 429, "TooManyRequests")
            self.assertEqual(response.headers["Retry-After"], "3")
            self.assertEqual(status["details"]["retryAfterSeconds"], 3)
        self.call("GET", "/api/v1/services")
        self.kube.throttle(1, retry_after=1, plain=True)
        response = self.kube.request("GET", "/api/v1/services")
        self.assertEqual((response.status, response.headers["Retry-After"]), (429, "1"))
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        self.assertGreaterEqual(self.kube.stats()["throttled"], 3)

    def test_json_patch_and_errors(self):
        base = "/api/v1/namespaces/jsonpatch/services"
        self.call("POST", base, service("j"), expect=201)
        patched = self.call("PATCH", base + "/j", [
            {"op": "add", "path": "/metadata/labels/new", "value": "yes"},
            {"op": "replace", "path": "/spec/ports/0/port", "value": 8080}],
            content_type="application/json-patch+json")
        self.assertEqual((patched["metadata"]["labels"], patched["spec"]["ports"][0]["port"]),
                         ({"new": "yes"}, 8080))
        failed = self.kube.request("PATCH", base + "/j", [
            {"op": "test", "path": "/spec/type", "value": "NodePort"}],
            content_type="application/json-patch+json")
        self.assertStatus(failed, 422, "Invalid")
        apply = self.kube.request("PATCH", base + "/j", b"{}",
                                  content_type="application/apply-patch+yaml")
        self.assertStatus(apply, 415, "UnsupportedMediaType")


class CompactionTest(ServerTestCase):
    server_options = {"compact_keep": 5}

    def test_compaction_expires_lists_and_watches(self):
        base = "/api/v1/namespaces/compact/services"
        old_rv = self.list_rv(base)
        self.call("POST", base, service("a"), expect=201)
        self.call("POST", base, service("b"), expect=201)
        paged = self.call("GET", base + "?limit=1")
        self.call("POST", base, service("c"), expect=201)
        self.kube.compact()
        expired = self.kube.request("GET", base + "?resourceVersionMatch=Exact&resourceVersion="
                                    + old_rv)
        self.assertIn("too old", self.assertStatus(expired, 410, "Expired")["message"])
        self.assertStatus(self.kube.request("GET", base + "?limit=1&resourceVersion=" + old_rv),
                          410, "Expired")
        token_gone = self.kube.request("GET", base + "?limit=1&continue="
                                       + urllib.parse.quote(paged["metadata"]["continue"]))
        fresh_token = self.assertStatus(token_gone, 410, "Expired")["metadata"]["continue"]
        rest = self.call("GET", base + "?limit=5&continue=" + urllib.parse.quote(fresh_token))
        self.assertEqual([i["metadata"]["name"] for i in rest["items"]], ["b", "c"],
                         "the fresh token continues at the current state")

        watch = self.kube.watch(base + "?watch=1&resourceVersion=" + old_rv)
        self.assertEqual(watch.status, 200, "a watch reports 410 in the stream")
        error = watch.next_event()
        self.assertEqual(error["type"], "ERROR")
        self.assertEqual((error["object"]["kind"], error["object"]["code"],
                          error["object"]["reason"]), ("Status", 410, "Expired"))
        self.assertIsNone(watch.next_event())

        current = self.list_rv(base)
        watch = self.kube.watch(base + "?watch=1&timeoutSeconds=1&resourceVersion=" + current)
        self.assertIsNone(watch.next_change(), "the current RV is still fine")

    def test_history_keeps_the_last_n_changes(self):
        base = "/api/v1/namespaces/keep/services"
        rvs = [self.call("POST", base, service("s%d" % i), expect=201)["metadata"]
               ["resourceVersion"] for i in range(8)]
        too_old = self.kube.watch(base + "?watch=1&resourceVersion=" + rvs[0])
        self.assertEqual(too_old.next_event()["type"], "ERROR")
        self.assertIsNone(too_old.next_event())
        recent = self.kube.watch(base + "?watch=1&resourceVersion=" + rvs[5])
        self.assertEqual([recent.next_event()["object"]["metadata"]["name"] for _ in range(2)],
                         ["s6", "s7"])
        recent.close()


class TokenTest(unittest.TestCase):
    def test_rotation(self):
        with KubeApiServer() as kube:
            old = kube.token
            self.assertEqual(kube.request("GET", "/api/v1/namespaces").status, 200)
            new = kube.rotate_token()
            self.assertEqual(kube.request("GET", "/api/v1/namespaces", token=old).status, 401)
            self.assertEqual(kube.request("GET", "/api/v1/namespaces", token=new).status, 200)
            if shutil.which(KUBECTL):
                self.assertIn("namespace/default",
                              kube.kubectl("get", "namespaces", "-o", "name").stdout)

    def test_previous_token_works_during_the_grace_period(self):
        with KubeApiServer(token_grace=30) as kube:
            old = kube.token
            self.assertEqual(kube.request("GET", "/api", token=old).status, 200)
            kube.rotate_token()
            self.assertEqual(kube.request("GET", "/api").status, 200)
            self.assertEqual(kube.request("GET", "/api", token=old).status, 200)
            self.assertEqual(kube.request("GET", "/api", token="other").status, 401)


class RestartTest(unittest.TestCase):
    def test_state_survives_a_restart(self):
        with KubeApiServer() as kube:
            base = "/api/v1/namespaces/kept/services"
            created = json.loads(kube.request("POST", base, service("kept")).body)
            before = json.loads(kube.request("GET", base).body)["metadata"]["resourceVersion"]
            kube.restart()
            after = json.loads(kube.request("GET", base + "/kept").body)
            self.assertEqual(after["metadata"]["uid"], created["metadata"]["uid"])
            self.assertEqual(after["metadata"]["resourceVersion"],
                             created["metadata"]["resourceVersion"])
            self.assertEqual(json.loads(kube.request("GET", base).body)["metadata"]
                             ["resourceVersion"], before)
            newer = json.loads(kube.request("POST", base, service("new")).body)
            self.assertGreater(int(newer["metadata"]["resourceVersion"]), int(before))

            older = kube.watch(base + "?watch=1&resourceVersion=%d" % (int(before) - 1))
            self.assertEqual(older.next_event()["object"]["code"], 410,
                             "history from before the restart is gone")
            self.assertIsNone(older.next_event())
            at_restart = kube.watch(base + "?watch=1&resourceVersion=" + before)
            self.assertEqual(at_restart.next_event()["object"]["metadata"]["name"], "new")
            at_restart.close()
            if shutil.which(KUBECTL):
                self.assertEqual(kube.kubectl("get", "services", "-n", "kept", "-o", "name")
                                 .stdout.split(), ["service/kept", "service/new"])


if __name__ == "__main__":
    unittest.main()
