"""Per-route timeouts through real processes. Reference: ingress-nginx's annotation
documentation ("Custom timeouts"): proxy-connect-timeout, proxy-read-timeout and
proxy-send-timeout are unitless seconds and set nginx's proxy_connect_timeout (establishing the
upstream connection), proxy_read_timeout (between two successive reads from the upstream, not
the whole response) and proxy_send_timeout (between two successive writes to the upstream) for
the Ingress's paths only. The data plane runs with its default 60 s response timeout throughout,
so each short deadline seen here is the route's.
"""

import socket
import threading
import time
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule
from test_timeouts import SilentUpstream, StallingUpstream

N = "nginx.ingress.kubernetes.io/"


class FullQueueUpstream:
    """A listener whose accept queue is kept full: a new connection's SYN goes unanswered, so
    connecting to it takes as long as the connector waits."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.fillers = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(2)]

    def close(self):
        for filler in self.fillers:
            filler.close()
        self.listener.close()


def site(name, host, service, annotations):
    return ingress(name, rules=[rule(host, path("/", "Prefix", service))],
                   annotations=annotations)


class RouteTimeoutsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.silent = SilentUpstream()
        cls.stalling = StallingUpstream()
        cls.full = FullQueueUpstream()

        def world(echo):
            return [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                *backed_service("silent", "127.0.0.1", cls.silent.port),
                *backed_service("stalling", "127.0.0.1", cls.stalling.port),
                *backed_service("full", "127.0.0.1", cls.full.port),
                site("quick", "quick.test", "silent", {N + "proxy-read-timeout": "1"}),
                site("patient", "patient.test", "silent", {}),
                site("slow-echo", "slow.test", "echo", {N + "proxy-read-timeout": "1"}),
                site("roomy-echo", "roomy.test", "echo", {N + "proxy-read-timeout": "4"}),
                site("stalls", "stalling.test", "stalling", {N + "proxy-read-timeout": "1"}),
                site("connect", "connect.test", "full", {N + "proxy-connect-timeout": "1"}),
                site("send", "send.test", "silent",
                     {N + "proxy-send-timeout": "1", N + "proxy-read-timeout": "30"}),
                site("bad", "bad.test", "echo",
                     {N + "proxy-read-timeout": "5s", N + "proxy-send-timeout": "0"}),
            ]
        cls.start_echo_world(world)

    @classmethod
    def tearDownClass(cls):
        for upstream in (cls.silent, cls.stalling, cls.full):
            upstream.close()
        super().tearDownClass()

    def connect(self, timeout=10):
        sock = socket.create_connection(("127.0.0.1", self.dataplane.http), timeout=timeout)
        self.addCleanup(sock.close)
        return sock

    def timed_get(self, host, target="/"):
        started = time.monotonic()
        response = self.dataplane.get(host, target)
        return response, time.monotonic() - started

    def test_the_read_timeout_bounds_the_wait_for_the_response_head(self):
        response, elapsed = self.timed_get("quick.test")
        self.assertEqual(response.status, 504, response)
        self.assertIn("upstream response timed out", response.body.decode())
        self.assertGreater(elapsed, 0.9)
        self.assertLess(elapsed, 3)

    def test_a_route_without_the_annotation_keeps_the_data_planes_timeout(self):
        sock = self.connect(timeout=2.5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: patient.test\r\n\r\n")
        with self.assertRaises(socket.timeout):
            sock.recv(65536)

    def test_the_read_timeout_counts_from_the_request_sent_to_each_read(self):
        self.assertEqual(self.timed_get("slow.test", "/__slow/2000")[0].status, 504)
        response, _ = self.timed_get("roomy.test", "/__slow/2000")
        self.assertEqual(response.status, 200, response)

    def test_a_response_that_stalls_midway_is_cut_at_the_read_timeout(self):
        sock = self.connect()
        sock.sendall(b"GET /stalls HTTP/1.1\r\nHost: stalling.test\r\n\r\n")
        started = time.monotonic()
        answer = harness.read_until_closed(sock)
        elapsed = time.monotonic() - started
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:200])
        self.assertTrue(answer.endswith(b"\r\n\r\nhalf"), answer[-100:])
        self.assertGreater(elapsed, 0.9)
        self.assertLess(elapsed, 4)

    def test_the_connect_timeout_bounds_connecting(self):
        response, elapsed = self.timed_get("connect.test")
        self.assertEqual(response.status, 504, response)
        self.assertIn("upstream connect timed out", response.body.decode())
        self.assertLess(elapsed, 4)

    def test_the_send_timeout_bounds_an_upstream_that_takes_no_body(self):
        # The silent upstream reads nothing: once the socket buffers between are full, no write
        # moves for the send timeout.
        sock = self.connect()
        body_size = 64 << 20
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: send.test\r\nContent-Length: %d\r\n\r\n"
                     % body_size)
        started = time.monotonic()

        def upload():
            try:
                sock.sendall(b"x" * body_size)
            except OSError:
                pass  # the data plane answered and closed
        threading.Thread(target=upload, daemon=True).start()
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        elapsed = time.monotonic() - started
        self.assertTrue(answer.startswith(b"HTTP/1.1 504 "), answer[:200])
        self.assertLess(elapsed, 15)

    def test_values_that_are_not_whole_seconds_are_refused_with_a_reason(self):
        self.assertEqual(self.dataplane.routed_to("bad.test"), "echo")
        status = harness.gatehousectl("--server=127.0.0.1:%d" % self.controlplane.admin,
                                      "status").stdout
        self.assertIn('proxy-read-timeout: "5s" is not a whole number of seconds', status)
        self.assertIn('proxy-send-timeout: "0" is not a whole number of seconds', status)


if __name__ == "__main__":
    unittest.main()
