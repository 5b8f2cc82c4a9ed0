"""mirror-target, mirror-host and mirror-request-body through real processes. Reference:
ingress-nginx's annotation documentation ("Mirror") and its e2e test annotations/mirror.go: a copy
of each request goes to the mirror-target URL, whose $request_uri is the request's path and
query; its Host is mirror-host, else the URL's host; the body goes along unless
mirror-request-body is "off"; the mirror's answers are dropped. Gatehouse's documented
differences: the URL names a Service of the Ingress's namespace, and a slow mirror never holds
the request back.
"""

import http.server
import threading
import time
import unittest
import uuid

import harness
from manifests import backed_service, ingress, ingress_class, path, rule, service

N = "nginx.ingress.kubernetes.io/"
SHADOW = "http://shadow.default.svc.cluster.local"


class Recorder:
    """An HTTP/1.1 server on 127.0.0.1 that records every request it reads (method, target,
    headers, body) and answers 200, or, with `hold`, keeps each request unanswered until
    release()."""

    def __init__(self, hold=False):
        self.requests = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b""):
                                pass
                            return body
                        body += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _record(self):
                body = self._body()
                with recorder.lock:
                    recorder.requests.append({
                        "method": self.command, "target": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body})
                if hold:
                    recorder.released.wait(60)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = do_PUT = do_HEAD = _record

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, marker, timeout=10):
        """The first request whose target contains `marker`, waited for."""
        def found():
            with self.lock:
                return next((r for r in self.requests if marker in r["target"]), None)
        return harness.wait_until(found, timeout, "the mirror to receive " + marker)

    def targets(self):
        with self.lock:
            return [r["target"] for r in self.requests]

    def release(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def mark():
    return uuid.uuid4().hex[:12]


class MirrorTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shadow = Recorder()
        cls.slow = Recorder(hold=True)
        refused = harness.free_port()  # nothing listens here

        def world(echo):
            return [
                ingress_class(),
                *backed_service("app", echo.host, echo.port),
                *backed_service("shadow", "127.0.0.1", cls.shadow.port),
                *backed_service("slow", "127.0.0.1", cls.slow.port),
                *backed_service("down", "127.0.0.1", refused),
                service("other", 80),
                ingress("mirrored", rules=[rule("mirror.test", path("/", "Prefix", "app"))],
                        annotations={N + "mirror-target": SHADOW + "$request_uri",
                                     N + "app-root": "/home"}),
                ingress("bodiless", rules=[rule("bodiless.test", path("/", "Prefix", "app"))],
                        annotations={N + "mirror-target": "http://shadow/copy?of=$uri",
                                     N + "mirror-request-body": "off",
                                     N + "mirror-host": "Shadow.Example"}),
                ingress("rewritten", rules=[rule("rewritten.test",
                                                 path("/api(/|$)(.*)", "ImplementationSpecific",
                                                      "app"))],
                        annotations={N + "mirror-target": "http://shadow.default",
                                     N + "rewrite-target": "/$2"}),
                ingress("slow", rules=[rule("slow.test", path("/", "Prefix", "app"))],
                        annotations={N + "mirror-target": "http://slow$request_uri"}),
                ingress("down", rules=[rule("down.test", path("/", "Prefix", "app"))],
                        annotations={N + "mirror-target": "http://down$request_uri"}),
                ingress("abroad", rules=[rule("abroad.test", path("/", "Prefix", "app"))],
                        annotations={N + "mirror-target": "http://other.kube-system.svc$uri"}),
                ingress("outside", rules=[rule("outside.test", path("/", "Prefix", "app"))],
                        annotations={N + "mirror-target": "https://test.env.com/$request_uri"}),
            ]
        cls.start_echo_world(world)

    @classmethod
    def tearDownClass(cls):
        cls.slow.release()
        cls.shadow.release()
        super().tearDownClass()

    def test_a_copy_goes_to_the_mirror_target_with_the_request_uri(self):
        m = mark()
        response = self.dataplane.get("mirror.test", "/cart?id=7&m=" + m,
                                      headers=[("X-Client", "kept")])
        self.assertEqual((response.status, response.echo_server()), (200, "echo"))
        copy = self.shadow.find(m)
        self.assertEqual(copy["method"], "GET")
        self.assertEqual(copy["target"], "/cart?id=7&m=" + m)
        # The Host is the URL's host (ingress-nginx's default for mirror-host).
        self.assertEqual(copy["headers"]["host"], "shadow.default.svc.cluster.local")
        self.assertEqual(copy["headers"]["x-client"], "kept")
        self.assertEqual(copy["body"], b"")

    def test_the_body_goes_with_the_copy(self):
        m = mark()
        body = bytes(range(256)) * 400  # 100 KiB
        response = self.dataplane.get("mirror.test", "/upload?m=" + m, method="POST", data=body)
        self.assertEqual(response.status, 200)
        self.assertEqual(self.shadow.find(m)["body"], body)
        m = mark()
        response = self.dataplane.get("mirror.test", "/chunked?m=" + m, method="PUT",
                                      data=b"x" * 70000, chunked=True)
        self.assertEqual(response.status, 200)
        copy = self.shadow.find(m)
        self.assertEqual((copy["method"], copy["body"]), ("PUT", b"x" * 70000))

    def test_mirror_request_body_off_sends_the_copy_without_its_body(self):
        m = mark()
        response = self.dataplane.get("bodiless.test", "/form/" + m, method="POST",
                                      data=b"secret=1")
        self.assertEqual(response.json()["body_bytes"], 8)  # the backend's request is whole
        copy = self.shadow.find(m)
        self.assertEqual(copy["method"], "POST")
        self.assertEqual(copy["target"], "/copy?of=/form/" + m)
        self.assertEqual(copy["body"], b"")
        self.assertNotIn("transfer-encoding", copy["headers"])
        self.assertEqual(copy["headers"].get("content-length", "0"), "0")
        self.assertEqual(copy["headers"]["host"], "shadow.example")  # mirror-host

    def test_a_url_without_a_path_sends_the_target_as_it_goes_upstream(self):
        m = mark()
        response = self.dataplane.get("rewritten.test", "/api/items/" + m)
        self.assertEqual(response.json()["path"], "/items/" + m)
        self.assertEqual(self.shadow.find(m)["target"], "/items/" + m)

    def test_answers_made_by_the_route_itself_are_not_copied(self):
        response = self.dataplane.get("mirror.test", "/")  # app-root answers 302
        self.assertEqual(response.status, 302)
        m = mark()
        self.dataplane.get("mirror.test", "/after?m=" + m)
        self.shadow.find(m)
        time.sleep(0.5)  # a copy of "/" would have been sent first: it has had time to arrive
        self.assertNotIn("/", self.shadow.targets())

    def test_a_mirror_that_never_answers_never_holds_the_request_back(self):
        markers = [mark() for _ in range(3)]
        for m in markers:
            response = self.dataplane.get("slow.test", "/wait?m=" + m)
            self.assertEqual((response.status, response.echo_server()), (200, "echo"))
        for m in markers:
            self.slow.find(m)  # each copy arrived, and is still unanswered

    def test_a_mirror_that_is_down_changes_nothing_for_the_client(self):
        def failed():
            return harness.metric(self.dataplane.health, "gatehouse_dataplane_mirror_requests_total",
                                  outcome="failed") or 0
        before = failed()
        for _ in range(3):
            response = self.dataplane.get("down.test", "/x")
            self.assertEqual((response.status, response.echo_server()), (200, "echo"))
        harness.wait_until(lambda: failed() >= before + 3, 10, "three failed copies counted")

    def test_targets_outside_the_namespace_are_refused_with_a_reason(self):
        for host in ("abroad.test", "outside.test"):
            self.assertEqual(self.dataplane.routed_to(host, "/"), "echo")
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn("other.kube-system.svc names a Service of another namespace", status)
        self.assertIn("test.env.com is not a Service of namespace default", status)
        self.assertIn("the data plane resolves no DNS names", status)


if __name__ == "__main__":
    unittest.main()
