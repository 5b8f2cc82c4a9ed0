"""The data plane's timeouts, each with a short flag value: a client slow to send its request head
gets 408 and is closed (and nothing reaches the upstream); an idle keep-alive connection is
closed; an upstream that accepts but never answers gets the client a 504, and a request retried
after a pooled connection was reset gets a response deadline of its own. The response deadline
starts once the whole request has gone up, so a slow upload is not cut; a client that stops
sending its body gets 408; an HTTP/2 client holding a stream's window at 0 has the stream reset
after the send timeout; a stream with no bytes either way ends at the stream idle timeout. Each
closed connection is counted by its reason.
"""

import re
import socket
import struct
import threading
import time
import unittest

from hyperframe import frame as h2frame

import harness
from manifests import backed_service, ingress, ingress_class, path, rule
from test_http2 import RawH2


class SilentUpstream:
    """Accepts connections and reads requests, but never answers."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)
            self.serve(connection)

    def serve(self, connection):
        """Reads nothing, answers nothing."""

    def close(self):
        self.listener.close()
        for connection in self.accepted:
            connection.close()


class StallingUpstream(SilentUpstream):
    """Answers every request with the head of a 100-byte response and 4 bytes of it, then
    sends nothing more."""

    def serve(self, connection):
        threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    @staticmethod
    def _answer(connection):
        request = b""
        try:
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                request += chunk
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
        except OSError:
            pass


class ResetThenSlowAcceptUpstream:
    """Answers a first request and keeps that connection. The next request on it is reset
    unanswered after `reset_after` seconds, while the listener's accept queue is held full, so
    a new connection waits for its SYN to be sent again (1 s later); the queue is emptied
    `accept_after` seconds after that request arrived, and every later request is answered."""

    def __init__(self, reset_after=0.2, accept_after=0.8):
        self.reset_after, self.accept_after = reset_after, accept_after
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)  # two waiting connections fill the queue
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        self.second_request = threading.Event()
        threading.Thread(target=self._first_connection, daemon=True).start()

    def _first_connection(self):
        connection, _ = self.listener.accept()
        with connection:
            connection.recv(65536)  # the first request
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
            # Nothing more is accepted until the second request: fill the accept queue now.
            for _ in range(2):
                self.fillers.append(socket.create_connection(("127.0.0.1", self.port)))
            connection.recv(65536)  # the second request, on the pooled connection
            self.second_request.set()
            time.sleep(self.reset_after)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(self.accept_after - self.reset_after)
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    @staticmethod
    def _answer(connection):
        with connection:
            while connection.recv(65536):
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")

    def close(self):
        self.listener.close()
        for filler in self.fillers:
            filler.close()


class TimeoutsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")

    def setUp(self):
        super().setUp()
        self.silent = SilentUpstream()
        self.addCleanup(self.silent.close)
        self.flaky = ResetThenSlowAcceptUpstream()
        self.addCleanup(self.flaky.close)
        self.stalling = StallingUpstream()
        self.addCleanup(self.stalling.close)
        manifests = self.manifest_dir({
            "world.yaml": [
                ingress_class(),
                *backed_service("echo", self.echo.host, self.echo.port),
                *backed_service("silent", "127.0.0.1", self.silent.port),
                *backed_service("flaky", "127.0.0.1", self.flaky.port),
                *backed_service("stalling", "127.0.0.1", self.stalling.port),
                ingress("web", rules=[rule("echo.test", path("/", "Prefix", "echo")),
                                      rule("silent.test", path("/", "Prefix", "silent")),
                                      rule("flaky.test", path("/", "Prefix", "flaky")),
                                      rule("stalling.test", path("/", "Prefix", "stalling"))]),
            ],
        })
        controlplane = self.start_controlplane(manifests)
        self.dataplane = harness.DataPlane(
            self.group, controlplane.xds_address, "timeouts", workers=1,
            extra_args=["--request-header-timeout=500ms", "--idle-timeout=700ms",
                        "--upstream-response-timeout=600ms", "--send-timeout=1s",
                        "--request-body-timeout=800ms", "--stream-idle-timeout=1500ms"])
        self.dataplane.wait_ready()

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.dataplane.http), timeout=10)
        self.addCleanup(sock.close)
        return sock

    def test_slow_request_head_gets_408_and_never_reaches_the_upstream(self):
        sock = self.connect()
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: echo.test\r\nX-Trickle: ")
        started = time.monotonic()
        answer = harness.read_until_closed(sock)
        self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer[:100])
        self.assertIn(b"Connection: close", answer)
        self.assertLess(time.monotonic() - started, 8.0)
        self.assertNotIn("/slow", self.echo.process.log())
        self.assertEqual(harness.metric(self.dataplane.health,
                                        "gatehouse_dataplane_downstream_closed_total",
                                        reason="request_header_timeout"), 1)

    def test_idle_keep_alive_connection_is_closed(self):
        sock = self.connect()
        sock.sendall(b"GET /once HTTP/1.1\r\nHost: echo.test\r\n\r\n")
        first = b""
        while b"\r\n\r\n" not in first:
            first += sock.recv(65536)
        self.assertTrue(first.startswith(b"HTTP/1.1 200 "), first[:100])
        head, _, body = first.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(body) < length:
            body += sock.recv(65536)
        # Nothing more is sent: the data plane closes the connection without a response.
        sock.settimeout(8)
        rest = harness.read_until_closed(sock)
        self.assertEqual(rest, b"")
        self.assertEqual(harness.metric(self.dataplane.health,
                                        "gatehouse_dataplane_downstream_closed_total",
                                        reason="idle_timeout"), 1)

    def test_a_client_that_stops_reading_is_disconnected(self):
        # A receive buffer of 64 kB: what the kernel queued is read quickly at the end (through
        # 4 kB windows it would take a minute and a half).
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", self.dataplane.http))
        self.addCleanup(sock.close)
        # 40 MB: more than the kernel's buffers on both sides take, and quick for the echo server
        # to start (it hashes the body first).
        sock.sendall(b"GET /__bytes/40000000 HTTP/1.1\r\nHost: echo.test\r\n\r\n")
        # Nothing is read until the data plane gives up on the connection.
        deadline = time.monotonic() + 15
        while harness.metric(self.dataplane.health, "gatehouse_dataplane_downstream_closed_total",
                             reason="send_timeout") != 1:
            self.assertLess(time.monotonic(), deadline, "the stalled connection was kept")
            time.sleep(0.2)
        # What was queued, then the close; short of the 40 MB asked for.
        sock.settimeout(8)
        received = len(harness.read_until_closed(sock))
        self.assertLess(received, 40_000_000)
        # The worker serves on, and the upstream it held was let go.
        self.assertEqual(harness.curl(self.dataplane.url("/after"), host="echo.test").status, 200)

    def test_upstream_that_never_answers_gets_504(self):
        response = self.dataplane.get("silent.test", "/waiting")
        self.assertEqual(response.status, 504)
        self.assertIn("upstream response timed out", response.body.decode())
        # The connection the request went up on is not reused: the next request gets 504 too,
        # on a fresh upstream connection.
        self.assertEqual(self.dataplane.get("silent.test", "/again").status, 504)
        self.assertGreaterEqual(len(self.silent.accepted), 2)

    def test_a_retry_gets_a_response_deadline_of_its_own(self):
        # The pooled connection is reset 0.2 s into the first attempt; the retry's new
        # connection is accepted only after the first attempt's deadline (0.6 s) has passed.
        self.assertEqual(self.dataplane.get("flaky.test", "/warm").status, 200)
        retries = harness.metric(self.dataplane.health,
                                 "gatehouse_dataplane_upstream_retries_total") or 0
        started = time.monotonic()
        response = self.dataplane.get("flaky.test", "/retried")
        elapsed = time.monotonic() - started
        self.assertTrue(self.flaky.second_request.is_set())
        self.assertEqual((response.status, response.body), (200, b"late"), response)
        self.assertGreater(elapsed, 0.6, "the retry connected before the first attempt's "
                           "deadline, so this did not test it")
        self.assertEqual(harness.metric(self.dataplane.health,
                                        "gatehouse_dataplane_upstream_retries_total"), retries + 1)

    def test_an_upload_slower_than_the_response_timeout_is_not_cut(self):
        # 2.4 s of upload, four times the response timeout: as Envoy's route timeout, the wait
        # for the response starts when the request is complete.
        sock = self.connect()
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: echo.test\r\nContent-Length: 48\r\n\r\n")
        for _ in range(8):
            time.sleep(0.3)
            sock.sendall(b"012345")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:200])

    def test_a_client_that_stops_sending_its_body_gets_408(self):
        # As nginx's client_body_timeout: the time allowed between two reads of the body.
        sock = self.connect()
        sock.sendall(b"POST /stalled HTTP/1.1\r\nHost: echo.test\r\nContent-Length: 100\r\n\r\n")
        for _ in range(4):  # bytes more often than the timeout keep it going
            time.sleep(0.4)
            sock.sendall(b"0123456789")
        started = time.monotonic()
        answer = harness.read_until_closed(sock)
        self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer[:200])
        self.assertIn(b"request body timeout", answer)
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(harness.metric(self.dataplane.health,
                                        "gatehouse_dataplane_local_replies_total", code="408"), 1)

    def test_an_http2_stream_held_by_a_zero_window_is_reset(self):
        # RFC 9113 6.9.2: a client may set INITIAL_WINDOW_SIZE to 0 and never open it. The
        # response then waits; after the send timeout the stream is reset, and the connection
        # serves on.
        conn = RawH2(self.dataplane.http, settings={h2frame.SettingsFrame.INITIAL_WINDOW_SIZE: 0})
        self.addCleanup(conn.close)
        request = [(":method", "GET"), (":scheme", "http"), (":authority", "echo.test")]
        conn.request(1, request + [(":path", "/__bytes/100000")])
        started = time.monotonic()
        frames = conn.frames_until(lambda f: isinstance(f, h2frame.RstStreamFrame), timeout=10)
        self.assertIsInstance(frames[-1], h2frame.RstStreamFrame, frames)
        self.assertEqual(frames[-1].stream_id, 1)
        self.assertEqual(frames[-1].error_code, 8)  # CANCEL
        self.assertGreater(time.monotonic() - started, 0.9)
        self.assertFalse(any(isinstance(f, h2frame.DataFrame) and f.data for f in frames))
        # The connection still answers a stream that fits its window.
        conn.request(3, request + [(":path", "/__status/204")])
        status, _, _, _ = conn.response(3)
        self.assertEqual(status, 204)

    def test_a_response_that_stalls_midway_is_cut_at_the_stream_idle_timeout(self):
        # As Envoy's stream_idle_timeout: no byte either way for its length ends the stream;
        # once the response has started, the client sees it cut short.
        sock = self.connect()
        sock.sendall(b"GET /stalls HTTP/1.1\r\nHost: stalling.test\r\n\r\n")
        started = time.monotonic()
        sock.settimeout(10)
        answer = harness.read_until_closed(sock)
        elapsed = time.monotonic() - started
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:200])
        self.assertTrue(answer.endswith(b"\r\n\r\nhalf"), answer[-100:])
        self.assertGreater(elapsed, 1.4)
        self.assertLess(elapsed, 5)


if __name__ == "__main__":
    unittest.main()
