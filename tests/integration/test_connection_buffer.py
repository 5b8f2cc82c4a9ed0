"""--max-connection-buffer bounds what one client connection makes the data plane hold across
all its streams. An HTTP/2 client opens 64 streams and uploads on each, as fast as flow control
lets it, to a backend that reads nothing. Without a bound each stream would park its upstream
connection's write queue (1 MiB) and its stream window (256 KiB) in the data plane: 80 MiB for
one connection. With the bound the streams pause and the connection window closes, so what the
data plane holds (what the client got to send, less what the kernel holds on the way to the
backend) stays near the bound plus one connection window.
"""

import fcntl
import socket
import subprocess
import termios
import time
import unittest

from hyperframe import frame as h2frame

import harness
from manifests import backed_service, ingress, ingress_class, path, rule
from test_http2 import RawH2
from test_timeouts import SilentUpstream

STREAMS = 64
LIMIT = 1 << 20
CONNECTION_WINDOW = 1 << 20  # what the data plane opens its connection window to
FRAME = 16384


class NonReadingUpstream(SilentUpstream):
    """Accepts connections and never reads from them; reports what their kernels hold."""

    def received_unread(self):
        """Bytes waiting in the receive queues of the accepted connections."""
        return sum(int.from_bytes(fcntl.ioctl(connection, termios.FIONREAD, b"\0\0\0\0"),
                                  "little")
                   for connection in list(self.accepted))


def send_queues_towards(port):
    """Bytes in the send queues of established sockets to 127.0.0.1:`port` (the data plane's
    upstream connections), as ss reports them."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "( dport = :%d )" % port],
                         capture_output=True, text=True, check=True).stdout
    total = 0
    for line in out.splitlines():
        fields = line.split()
        total += int(fields[1])  # Recv-Q Send-Q ...; with a state filter ss omits the state
    return total


def upload_until_stalled(conn, streams, stall=1.5, timeout=60):
    """Opens `streams` POST streams and sends DATA on them round-robin as long as the windows
    allow, until no window opened for `stall` seconds. Returns the body bytes sent."""
    connection_window = 65535
    initial_window = 65535
    windows = {}
    for i in range(streams):
        stream_id = 1 + 2 * i
        conn.request(stream_id, [(":method", "POST"), (":scheme", "http"),
                                 (":authority", "sink.test"), (":path", "/upload")],
                     end_stream=False)
        windows[stream_id] = None  # the initial window, once the server's SETTINGS say it
    sent = 0
    chunk = b"u" * FRAME
    last_progress = time.monotonic()
    deadline = last_progress + timeout
    while time.monotonic() < deadline and time.monotonic() - last_progress < stall:
        progressed = False
        for stream_id in windows:
            window = windows[stream_id] if windows[stream_id] is not None else initial_window
            size = min(FRAME, window, connection_window)
            if size <= 0:
                continue
            conn.send(h2frame.DataFrame(stream_id, chunk[:size]))
            windows[stream_id] = window - size
            connection_window -= size
            sent += size
            progressed = True
        if progressed:
            last_progress = time.monotonic()
        # Take in what the server sent: SETTINGS and WINDOW_UPDATEs.
        try:
            frame = conn.read_frame(timeout=0.05 if not progressed else 0.001)
        except TimeoutError:
            continue
        while frame is not None:
            if isinstance(frame, h2frame.SettingsFrame) and "ACK" not in frame.flags:
                new = frame.settings.get(h2frame.SettingsFrame.INITIAL_WINDOW_SIZE)
                if new is not None:
                    for stream_id, window in windows.items():
                        if window is not None:
                            windows[stream_id] = window + new - initial_window
                    initial_window = new
            elif isinstance(frame, h2frame.WindowUpdateFrame):
                if frame.stream_id == 0:
                    connection_window += frame.window_increment
                elif frame.stream_id in windows:
                    current = windows[frame.stream_id]
                    windows[frame.stream_id] = (
                        current if current is not None else initial_window) + \
                        frame.window_increment
            elif isinstance(frame, (h2frame.RstStreamFrame, h2frame.GoAwayFrame)):
                raise AssertionError("the server ended the upload: %r" % frame)
            try:
                frame = conn.read_frame(timeout=0.001)
            except TimeoutError:
                break
    return sent


class ConnectionBufferTest(harness.GatehouseTestCase):

    def setUp(self):
        super().setUp()
        self.sink = NonReadingUpstream()
        self.addCleanup(self.sink.close)
        manifests = self.manifest_dir({
            "world.yaml": [
                ingress_class(),
                *backed_service("sink", "127.0.0.1", self.sink.port),
                ingress("web", rules=[rule("sink.test", path("/", "Prefix", "sink"))]),
            ],
        })
        self.controlplane = self.start_controlplane(manifests)

    def start_dataplane(self, limit_flag):
        dataplane = harness.DataPlane(
            self.group, self.controlplane.xds_address, "buffers", workers=1, log_level="info",
            extra_args=["--max-connection-buffer=%s" % limit_flag])
        dataplane.wait_ready()
        return dataplane

    def held_by_dataplane(self, dataplane):
        """Uploads on STREAMS streams until stalled; returns the bytes the data plane holds
        then, in user space, and what the client sent."""
        conn = RawH2(dataplane.http)
        self.addCleanup(conn.close)
        sent = upload_until_stalled(conn, STREAMS)
        in_kernel = send_queues_towards(self.sink.port) + self.sink.received_unread()
        return sent - in_kernel, sent

    def test_a_connection_uploading_on_many_streams_holds_no_more_than_its_bound(self):
        dataplane = self.start_dataplane("1MiB")
        held, sent = self.held_by_dataplane(dataplane)
        # The bound, the connection window the client may fill before it closes, and a frame per
        # stream that arrived as it did.
        self.assertLess(held, LIMIT + CONNECTION_WINDOW + STREAMS * FRAME,
                        "held %d of %d bytes sent" % (held, sent))
        # Every stream still got some of its body through.
        self.assertGreater(sent, STREAMS * FRAME)
        self.assertTrue(dataplane.process.running())

    def test_without_a_bound_the_same_upload_parks_far_more(self):
        # The measure above is meaningful: with 0 (no bound) each stream fills its upstream
        # connection's queue and its window.
        dataplane = self.start_dataplane("0")
        held, sent = self.held_by_dataplane(dataplane)
        self.assertGreater(held, 16 * LIMIT, "held %d of %d bytes sent" % (held, sent))


if __name__ == "__main__":
    unittest.main()
