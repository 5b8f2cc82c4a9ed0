"""HTTP/1.1 edge cases through a real data plane, spoken over raw sockets where curl would smooth
them over: Expect: 100-continue, absolute-form targets, pipelined requests with a malformed one,
trailers both ways,
Upgrade requests other than WebSocket, bodiless responses on pooled upstream connections, a
paused large request body followed by keep-alive, and a slow reader of a large response.
"""

import json
import socket
import subprocess
import unittest

import harness
from manifests import echo_world


class RawClient:
    """One client connection to the data plane, reading responses off a shared buffered file so
    pipelined answers are not lost between reads."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def read_head(self):
        status_line = self.file.readline().decode("latin-1")
        if not status_line:
            return None, {}
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        while True:
            line = self.file.readline().decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def read_response(self, head_request=False):
        """(status, headers, body); status None when the connection closed instead."""
        status, headers = self.read_head()
        if status is None:
            return None, {}, b""
        body = b""
        if head_request or status in (204, 304):
            return status, headers, body
        if "content-length" in headers:
            body = self.file.read(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.file.readline().split(b";")[0], 16)
                if size == 0:
                    self.file.readline()
                    break
                body += self.file.read(size)
                self.file.readline()
        else:
            body = self.file.read()
        return status, headers, body

    def closed_by_peer(self):
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        self.file.close()
        self.sock.close()


def request(method, target, host="echo.test", headers=(), body=b""):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: %s" % host]
    lines += ["%s: %s" % header for header in headers]
    if body:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Http1EdgesTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")

    def setUp(self):
        super().setUp()
        manifests = self.manifest_dir({
            "world.yaml": echo_world(self.echo),
        })
        controlplane = self.start_controlplane(manifests)
        (self.dataplane,) = self.start_dataplanes(controlplane, count=1, workers=1)
        self.client = RawClient(self.dataplane.http)
        self.addCleanup(self.client.close)

    def test_expect_100_continue_is_answered_before_the_body(self):
        body = b"x" * 5000
        head = request("POST", "/upload", headers=[("Expect", "100-continue"),
                                                   ("Content-Length", str(len(body)))])
        self.client.send(head)
        status, _ = self.client.read_head()
        self.assertEqual(status, 100, "no 100 Continue before the body was sent")
        self.client.send(body)
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        echoed = json.loads(answer)
        self.assertEqual(echoed["body_bytes"], len(body))
        self.assertNotIn("expect", [name.lower() for name, _ in echoed["headers"]])

    def test_absolute_form_target_routes_by_its_authority(self):
        self.client.send(request("GET", "http://echo.test/abs/path?q=1", host="wrong.test"))
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        echoed = json.loads(answer)
        self.assertEqual(echoed["path"], "/abs/path?q=1")
        self.assertIn(["Host", "echo.test"], echoed["headers"])

    def test_malformed_pipelined_request_gets_400_after_the_good_one(self):
        self.client.send(request("GET", "/first") + b"GET /second HTTP/1.1\r\nHost : bad\r\n\r\n")
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(answer)["path"], "/first")
        status, headers, _ = self.client.read_response()
        self.assertEqual(status, 400)
        self.assertEqual(headers.get("connection"), "close")
        self.assertTrue(self.client.closed_by_peer())

    def test_upgrade_to_other_than_websocket_is_answered_plainly_then_closed(self):
        # Only WebSocket is tunnelled (test_websocket); h2c is not switched to through the proxy.
        self.client.send(request("GET", "/h2c", headers=[("Connection", "Upgrade, HTTP2-Settings"),
                                                         ("Upgrade", "h2c"),
                                                         ("HTTP2-Settings", "AAMAAABkAAQCAAAAAAIAAAAA")]))
        status, headers, answer = self.client.read_response()
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("connection"), "close")
        sent = [name.lower() for name, _ in json.loads(answer)["headers"]]
        self.assertNotIn("upgrade", sent)
        self.assertTrue(self.client.closed_by_peer())

    def test_trailers_pass_both_ways(self):
        body = b"3\r\nabc\r\n0\r\nX-Checksum: 42\r\n\r\n"
        self.client.send(request("POST", "/with-trailers",
                                 headers=[("Transfer-Encoding", "chunked")]) + body)
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        received = json.loads(answer)
        self.assertEqual(received["body_bytes"], 3)
        self.assertEqual(received["trailers"], [["X-Checksum", "42"]])
        # A chunked response's trailer field reaches the client after the last chunk.
        self.client.send(request("GET", "/__bytes/10?trailer"))
        status, headers = self.client.read_head()
        self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
        raw = b""
        while not raw.endswith(b"\r\n\r\n") or b"0\r\n" not in raw:
            raw += self.client.file.read1(65536)
        self.assertTrue(raw.endswith(b"0\r\nX-Echo-Trailer: done\r\n\r\n"), raw[-80:])

    def test_request_trailers_cannot_carry_routing_framing_or_credentials(self):
        # RFC 9110 section 6.5.1: trailers must not carry fields that route, frame or
        # authenticate the message; a client putting them there would reach the upstream with
        # what the proxy never checked.
        body = (b"3\r\nabc\r\n0\r\nHost: evil.test\r\nX-Forwarded-For: 203.0.113.9\r\n"
                b"Authorization: Basic Zm9vOmJhcg==\r\nContent-Length: 99\r\n"
                b"X-Real-IP: 203.0.113.9\r\nCookie: a=b\r\n"
                b"X-Checksum: 42\r\n\r\n")
        self.client.send(request("POST", "/bad-trailers",
                                 headers=[("Transfer-Encoding", "chunked")]) + body)
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        received = json.loads(answer)
        self.assertEqual(received["body_bytes"], 3)
        self.assertEqual(received["trailers"], [["X-Checksum", "42"]])

    def test_connection_cannot_remove_the_host_header(self):
        # Connection names hop-by-hop fields; Host is the request's authority, never a hop's.
        self.client.send(b"GET /conn-host HTTP/1.1\r\nHost: echo.test\r\n"
                         b"Connection: host\r\n\r\n")
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        sent = {name.lower(): value for name, value in json.loads(answer)["headers"]}
        self.assertEqual(sent.get("host"), "echo.test")
        # Without a Host the request is refused, whatever Connection says.
        other = RawClient(self.dataplane.http)
        self.addCleanup(other.close)
        other.send(b"GET /no-host HTTP/1.1\r\nConnection: host\r\n\r\n")
        self.assertEqual(other.read_response()[0], 400)

    def test_bodiless_responses_keep_the_upstream_connection(self):
        self.client.send(request("HEAD", "/head"))
        status, headers, _ = self.client.read_response(head_request=True)
        self.assertEqual(status, 200)
        self.assertIn("content-length", headers)
        self.client.send(request("GET", "/__status/204"))
        status, _, _ = self.client.read_response()
        self.assertEqual(status, 204)
        self.client.send(request("GET", "/after"))
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(answer)["request_on_connection"], 3,
                         "HEAD and 204 should leave the upstream connection reusable")

    def test_large_body_then_keep_alive_request_on_the_same_connection(self):
        body = bytes(range(256)) * 4200  # just over 1 MiB: the proxy pauses reading meanwhile
        self.client.send(request("POST", "/big", body=body))
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(answer)["body_sha256"], harness.sha256(body))
        self.client.send(request("GET", "/next"))
        status, _, answer = self.client.read_response()
        self.assertEqual(status, 200, "the connection stopped reading after a large body")
        self.assertEqual(json.loads(answer)["path"], "/next")

    def test_slow_reader_of_a_large_response_leaves_a_working_pool(self):
        size = 6 * 1024 * 1024
        result = subprocess.run(
            ["curl", "-sS", "--limit-rate", "3M", "-H", "Host: echo.test", "-o", "-",
             self.dataplane.url("/__bytes/%d" % size)],
            capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(result.stdout), size)
        # Later requests reuse the pooled upstream connection, which must still be read.
        for i in range(3):
            with self.subTest(request=i):
                response = self.dataplane.get("echo.test", "/after-slow-%d" % i)
                self.assertEqual(response.status, 200)


if __name__ == "__main__":
    unittest.main()
