"""A bounded soak: for about 40 seconds, many HTTP/1.1 and HTTP/2 clients at once against one
data plane with short timeouts. Some behave; some read slowly, stop reading, stop sending, or
reset their streams and connections. Afterwards the data plane is still running (under the
sanitizer build any memory error would have ended it), every misbehaving client was closed by
the timeout meant for it, and the data plane's open file descriptors are back to where they
were before the first client.
"""

import http.client
import os
import socket
import struct
import subprocess
import threading
import time
import unittest

from hyperframe import frame as h2frame

import harness
from manifests import echo_world
from test_http2 import RawH2

DURATION = 40  # seconds of traffic
HOST = "echo.test"
H2_GET = [(":method", "GET"), (":scheme", "http"), (":authority", HOST)]


def closed_by_server(sock, within):
    """True when the server closes `sock` (EOF or reset) within `within` seconds, reading and
    dropping whatever it still sends."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if not sock.recv(1 << 20):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def server_side_established(server_port, client_port):
    """Whether the server's end of the connection from `client_port` is still ESTABLISHED."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "( sport = :%d and dport = :%d )"
                          % (server_port, client_port)], capture_output=True, text=True,
                         check=True).stdout
    return bool(out.strip())


class Client(threading.Thread):
    """Runs `behaviour(port)` in a loop until the soak ends; keeps the first failure."""

    def __init__(self, name, port, behaviour, stop):
        super().__init__(daemon=True, name=name)
        self.port, self.behaviour, self.stop = port, behaviour, stop
        self.rounds = 0
        self.failure = None
        self.start()

    def run(self):
        while not self.stop.is_set() and self.failure is None:
            try:
                self.behaviour(self.port)
                self.rounds += 1
            except AssertionError as failure:
                self.failure = "%s: %s" % (self.name, failure)
            except (OSError, http.client.HTTPException) as failure:
                self.failure = "%s: %s: %s" % (self.name, type(failure).__name__, failure)


def connect(port, receive_buffer=None):
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


def well_behaved(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for n in range(20):
            connection.request("GET", "/ok/%d" % n, headers={"Host": HOST})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, (response.status, body[:200])
    finally:
        connection.close()


def slow_then_stopped_reader(port):
    # Reads a large response slowly, then not at all: the send timeout (1 s) closes the
    # connection, and what the kernel had queued is all that is left of the 12 MB.
    sock = connect(port, receive_buffer=65536)
    try:
        sock.sendall(b"GET /__bytes/12000000 HTTP/1.1\r\nHost: echo.test\r\n\r\n")
        received = 0
        for _ in range(10):
            received += len(sock.recv(16384))
            time.sleep(0.05)
        # Stops reading. The data plane's end of the connection leaves ESTABLISHED once it is
        # closed (the kernel still sends what it holds): the send timeout starts once the data
        # plane's own queue is full, which may take a while when the upstream is slow too.
        client_port = sock.getsockname()[1]
        deadline = time.monotonic() + 20
        while server_side_established(port, client_port):
            assert time.monotonic() < deadline, "a client that stopped reading was kept"
            time.sleep(0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += len(chunk)
        else:
            raise AssertionError("the connection never ended")
        assert received < 12000000, "a client that stopped reading got it all: not cut"
    finally:
        sock.close()


def stalled_uploader(port):
    # Sends part of a body, then nothing: 408 from the request body timeout.
    sock = connect(port)
    try:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: echo.test\r\nContent-Length: 100000\r\n\r\n"
                     + b"x" * 1000)
        answer = b""
        deadline = time.monotonic() + 8
        while b"\r\n" not in answer and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
        assert closed_by_server(sock, 5), "a stalled upload's connection was kept"
    finally:
        sock.close()


def header_trickler(port):
    # Half a request head, then nothing: 408 from the request header timeout.
    sock = connect(port)
    try:
        sock.sendall(b"GET /trickle HTTP/1.1\r\nHost: echo.test\r\nX-A: ")
        assert closed_by_server(sock, 8), "a client that never finished its head was kept"
    finally:
        sock.close()


def idle_keeper(port):
    # One request, then silence: the idle timeout closes the connection.
    sock = connect(port)
    try:
        sock.sendall(b"GET /once HTTP/1.1\r\nHost: echo.test\r\n\r\n")
        assert closed_by_server(sock, 8), "an idle keep-alive connection was kept"
    finally:
        sock.close()


def h2_resetter(port):
    # Many streams, most reset mid-response; the rest complete.
    wide = {h2frame.SettingsFrame.INITIAL_WINDOW_SIZE: 2**31 - 1}
    conn = RawH2(port, settings=wide)
    try:
        conn.send(h2frame.WindowUpdateFrame(0, 2**31 - 1 - 65535))
        for n in range(30):
            conn.request(1 + 2 * n, H2_GET + [(":path", "/__bytes/200000")])
        for n in range(30):
            if n % 3:
                conn.send(h2frame.RstStreamFrame(1 + 2 * n, 8))
        status, _, body, _ = conn.response(1)
        assert status == 200 and len(body) == 200000, (status, len(body))
    finally:
        conn.close()


def h2_zero_window(port):
    # Streams whose window stays 0: each is reset after the send timeout, then the idle
    # connection is closed (GOAWAY) by the idle timeout.
    conn = RawH2(port, settings={h2frame.SettingsFrame.INITIAL_WINDOW_SIZE: 0})
    try:
        for n in range(8):
            conn.request(1 + 2 * n, H2_GET + [(":path", "/__bytes/100000")])
        resets = set()
        deadline = time.monotonic() + 10
        while len(resets) < 8 and time.monotonic() < deadline:
            frame = conn.read_frame(timeout=max(0.1, deadline - time.monotonic()))
            assert frame is not None, "closed before its streams were reset"
            if isinstance(frame, h2frame.RstStreamFrame):
                resets.add(frame.stream_id)
        assert len(resets) == 8, "streams held by a zero window were kept: %s" % resets
        assert conn.goaway(timeout=8) is not None, "the idle connection got no GOAWAY"
    finally:
        conn.close()


def h2_vanisher(port):
    # Streams in flight, then a TCP reset.
    conn = RawH2(port, settings={h2frame.SettingsFrame.INITIAL_WINDOW_SIZE: 2**31 - 1})
    for n in range(10):
        conn.request(1 + 2 * n, H2_GET + [(":path", "/__bytes/500000")])
    time.sleep(0.05)
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


BEHAVIOURS = [
    ("well-behaved", well_behaved, 6),
    ("slow-reader", slow_then_stopped_reader, 3),
    ("stalled-upload", stalled_uploader, 3),
    ("header-trickle", header_trickler, 2),
    ("idle", idle_keeper, 2),
    ("h2-resets", h2_resetter, 3),
    ("h2-zero-window", h2_zero_window, 2),
    ("h2-vanishes", h2_vanisher, 2),
]


class SoakTest(harness.GatehouseTestCase):

    def test_many_clients_good_and_bad_leave_nothing_behind(self):
        echo = harness.EchoServer(self.group, "echo", quiet=True)
        manifests = self.manifest_dir({"world.yaml": echo_world(echo)})
        controlplane = self.start_controlplane(manifests)
        dataplane = harness.DataPlane(
            self.group, controlplane.xds_address, "soak", workers=2, log_level="info",
            extra_args=["--request-header-timeout=1s", "--idle-timeout=1500ms",
                        "--send-timeout=1s", "--request-body-timeout=1s",
                        "--stream-idle-timeout=10s", "--upstream-idle-timeout=1s"])
        dataplane.wait_ready()
        fds = "/proc/%d/fd" % dataplane.process.pid

        def open_fds():
            return len(os.listdir(fds))

        # Settled: the readiness probes' connections to the health endpoint are closed.
        time.sleep(2.5)
        baseline = open_fds()
        stop = threading.Event()
        clients = [Client("%s-%d" % (name, i), dataplane.http, behaviour, stop)
                   for name, behaviour, count in BEHAVIOURS for i in range(count)]
        time.sleep(DURATION)
        stop.set()
        for client in clients:
            client.join(30)
        self.assertTrue(dataplane.process.running(), "the data plane died")
        failures = [client.failure for client in clients if client.failure]
        self.assertEqual(failures, [])
        for client in clients:
            self.assertFalse(client.is_alive(), client.name)
            self.assertGreater(client.rounds, 0, client.name)
        # Every client connection and every pooled upstream connection closes in time.
        deadline = time.monotonic() + 15
        while open_fds() != baseline and time.monotonic() < deadline:
            time.sleep(0.2)
        if open_fds() != baseline:
            sockets = subprocess.run(["ss", "-tanp"], capture_output=True, text=True).stdout
            mine = [line for line in sockets.splitlines()
                    if "pid=%d," % dataplane.process.pid in line]
            self.fail("%d file descriptors open, %d at the start; its sockets:\n%s"
                      % (open_fds(), baseline, "\n".join(mine)))
        self.assertEqual(dataplane.get(HOST, "/after").status, 200)


if __name__ == "__main__":
    unittest.main()
