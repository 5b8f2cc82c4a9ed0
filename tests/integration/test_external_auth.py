"""auth-url, auth-signin, auth-response-headers and auth-method through real processes, against
a small auth service run by the test. Reference: ingress-nginx's annotations documentation
("External Authentication") and its e2e test annotations/auth.go: with the right credentials the
request passes (200); without, a 302 to auth-signin whose rd is the request's URL, escaped; a
header the auth service answers replaces the client's own of that name; an auth service that is
gone gives 500. nginx's auth_request: 2xx passes, 401 and 403 are the answer, any other status
is 500. auth-cache-key keeps the service's answers by a key of nginx variables, for the times of
auth-cache-duration (nginx's proxy_cache_valid; an answer marked Cache-Control: no-store is not
kept): here, per data-plane worker.
"""

import http.server
import threading
import time
import unittest
import urllib.parse

import harness
from manifests import backed_service, ingress_class, nginx_site as site


class AuthService:
    """Answers by the client's session cookie, and remembers what it was asked."""

    def __init__(self):
        self.requests = []
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.answer()

            do_POST = do_GET

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                service.requests.append({
                    "method": self.command, "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length) if length else b""})
                cookie = self.headers.get("Cookie") or ""
                status, headers = 401, []
                if "session=good" in cookie:
                    status = 200
                    headers = [("X-Auth-Request-User", "alice"),
                               ("Set-Cookie", "session=refreshed")]
                elif "session=forbidden" in cookie:
                    status = 403
                elif "session=broken" in cookie:
                    status = 502
                elif "session=member-" in cookie:
                    status = 200
                    headers = [("X-Auth-Request-User", cookie.split("session=member-")[1])]
                    if "nostore" in cookie:
                        headers.append(("Cache-Control", "no-store"))
                elif "session=slow" in cookie:
                    time.sleep(3)
                    status = 200
                body = b"auth says %d" % status
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ExternalAuthTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.auth = AuthService()
        cls.addClassCleanup(cls.auth.close)
        gone = harness.free_port()  # nothing listens there
        url = "http://authsvc.default.svc.cluster.local/check?from=gatehouse"

        def world(echo):
            return [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                *backed_service("authsvc", "127.0.0.1", cls.auth.port),
                *backed_service("gone", "127.0.0.1", gone),
                site("guarded", **{"auth-url": url,
                                   "auth-signin": "https://sso.test/start",
                                   "auth-response-headers": "X-Auth-Request-User"}),
                site("plain", **{"auth-url": url}),
                site("cached", **{"auth-url": url, "auth-cache-key": "$cookie_session",
                                  "auth-cache-duration": "200 10m, 401 1m",
                                  "auth-response-headers": "X-Auth-Request-User"}),
                site("slow", **{"auth-url": url, "auth-timeout": "1"}),
                site("down", **{"auth-url": "http://gone/check"}),
                site("foreign", **{"auth-url": "http://authsvc.other.svc.cluster.local/check"}),
            ]
        cls.start_echo_world(world)

    def request(self, host, cookie=None, headers=(), **kwargs):
        headers = list(headers)
        if cookie:
            headers.append(("Cookie", cookie))
        return self.dataplane.get(host, "/private?q=1", headers=headers, **kwargs)

    def test_an_allowed_request_goes_on_with_the_answers_headers(self):
        asked = len(self.auth.requests)
        response = self.request("guarded.test", "session=good",
                                headers=[("X-Auth-Request-User", "mallory")],
                                method="POST", data=b"payload")
        self.assertEqual(response.status, 200, response)
        answer = response.json()
        self.assertEqual(answer["server"], "echo")
        sent = [(k.lower(), v) for k, v in answer["headers"]]
        # The auth service's value, never the client's.
        self.assertEqual([v for k, v in sent if k == "x-auth-request-user"], ["alice"])
        self.assertEqual(answer["body_bytes"], 7)
        self.assertEqual(response.header("Set-Cookie"), "session=refreshed")
        # What the auth service was asked.
        self.assertEqual(len(self.auth.requests), asked + 1)
        seen = self.auth.requests[-1]
        self.assertEqual(seen["method"], "GET")
        self.assertEqual(seen["path"], "/check?from=gatehouse")
        self.assertEqual(seen["body"], b"")
        h = seen["headers"]
        self.assertEqual(h["host"], "authsvc.default.svc.cluster.local")
        # The client's Host as it sent it (curl sends no port here).
        self.assertEqual(h["x-original-url"], "http://guarded.test/private?q=1")
        self.assertEqual(h["x-original-method"], "POST")
        self.assertEqual(h["x-real-ip"], "127.0.0.1")
        self.assertEqual(h["x-forwarded-for"], "127.0.0.1")
        self.assertEqual(h["x-auth-request-redirect"], "/private?q=1")
        self.assertEqual(h["cookie"], "session=good")

    def test_a_401_goes_to_sign_in_with_the_requests_url(self):
        response = self.request("guarded.test")
        self.assertEqual(response.status, 302, response)
        self.assertIsNone(response.echo_server())
        rd = "http://guarded.test/private?q=1"
        self.assertEqual(response.header("Location"),
                         "https://sso.test/start?rd=" + urllib.parse.quote(rd, safe=""))
        # Without auth-signin, the 401 is the answer.
        self.assertEqual(self.request("plain.test").status, 401)
        self.assertEqual(self.request("plain.test", "session=good").status, 200)

    def asked_for(self, cookie):
        return sum(1 for r in self.auth.requests if r["headers"].get("cookie") == cookie)

    def test_kept_answers_decide_without_asking_again(self):
        workers = 2  # the harness's data plane: each worker keeps its own answers
        for cookie, user in [("session=member-ann", "ann"), ("session=member-ben", "ben")]:
            for _ in range(8):
                response = self.request("cached.test", cookie)
                self.assertEqual(response.status, 200, response)
                sent = [(k.lower(), v) for k, v in response.json()["headers"]]
                self.assertEqual([v for k, v in sent if k == "x-auth-request-user"], [user])
            self.assertGreaterEqual(self.asked_for(cookie), 1)
            self.assertLessEqual(self.asked_for(cookie), workers)
        # A 401 is kept too (the second duration), and refuses without asking.
        for _ in range(6):
            self.assertEqual(self.request("cached.test", "session=nobody").status, 401)
        self.assertLessEqual(self.asked_for("session=nobody"), workers)
        # An answer the service marks no-store is asked for every time.
        for _ in range(4):
            self.assertEqual(self.request("cached.test", "session=member-nostore").status, 200)
        self.assertEqual(self.asked_for("session=member-nostore"), 4)
        # Without auth-cache-key, every request asks.
        for _ in range(3):
            self.assertEqual(self.request("plain.test", "session=member-plain").status, 200)
        self.assertEqual(self.asked_for("session=member-plain"), 3)

    def test_refusals_and_failures_never_reach_the_backend(self):
        cases = [
            ("guarded.test", "session=forbidden", 403),  # a 403 is never sent to sign in
            ("guarded.test", "session=broken", 500),     # any other status
            ("slow.test", "session=slow", 500),          # no answer within auth-timeout
            ("down.test", "session=good", 500),          # the auth service is down
            ("foreign.test", "session=good", 503),       # another namespace's Service
        ]
        for host, cookie, status in cases:
            with self.subTest(host=host, cookie=cookie):
                response = self.request(host, cookie)
                self.assertEqual(response.status, status, response)
                self.assertIsNone(response.echo_server())


if __name__ == "__main__":
    unittest.main()
