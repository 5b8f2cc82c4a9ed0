"""HTTP/2 from clients: h2 through ALPN on the HTTPS listener and h2c with prior knowledge on the
plain one, with curl and nghttp, reaching HTTP/1.1 upstreams as ordinary requests (bodies and
trailers both ways, many streams at once). Then, h2spec-style, frames a conforming client would
never send, written by hand with python3-h2's hyperframe and hpack: each gets the stream or
connection error RFC 9113 asks for, the attacks (rapid reset, CONTINUATION floods, HPACK bombs)
end the connection with ENHANCE_YOUR_CALM, and none of them reaches the upstream as a request.
Flow control holds back a response the client has no window for; drain and idle timeout say
GOAWAY before closing.
"""

import hashlib
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import time
import unittest

import hpack
from hyperframe import frame as h2frame

import harness
from manifests import backed_service, ingress, ingress_class, path, rule
from test_tls import make_certificate, tls_secret

PLAIN = "plain.test"  # a host without a certificate, served on plain HTTP (h2c)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# RFC 9113 section 7 error codes.
NO_ERROR, PROTOCOL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR = 0x0, 0x1, 0x3, 0x6
REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = 0x7, 0x8, 0xb


class RawH2:
    """A client connection writing HTTP/2 frames exactly as told, valid or not, and reading
    the server's frames (header blocks decoded)."""

    def __init__(self, port, settings=None, tls_name=None):
        """`tls_name`: speak TLS (ALPN h2) with this SNI name."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls_name:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock, server_hostname=tls_name)
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.pending = b""
        self.closed = False
        self.sock.sendall(PREFACE)
        self.send(h2frame.SettingsFrame(0, settings=settings or {}))

    def close(self):
        self.sock.close()

    def send(self, frame):
        self.sock.sendall(frame.serialize())

    def send_raw(self, data):
        self.sock.sendall(data)

    def block(self, headers):
        return self.encoder.encode(headers)

    def request(self, stream_id, headers, end_stream=True, body=None):
        frame = h2frame.HeadersFrame(stream_id, self.block(headers))
        frame.flags.add("END_HEADERS")
        if end_stream and body is None:
            frame.flags.add("END_STREAM")
        self.send(frame)
        if body is not None:
            data = h2frame.DataFrame(stream_id, body)
            if end_stream:
                data.flags.add("END_STREAM")
            self.send(data)

    def read_frame(self, timeout=10):
        """The next frame, or None once the server closed the connection."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.pending) >= 9:
                header, length = h2frame.Frame.parse_frame_header(memoryview(self.pending[:9]))
                if len(self.pending) >= 9 + length:
                    header.parse_body(memoryview(self.pending[9:9 + length]))
                    self.pending = self.pending[9 + length:]
                    if isinstance(header, (h2frame.HeadersFrame, h2frame.ContinuationFrame)):
                        header.decoded = dict(self.decoder.decode(header.data, raw=False))
                    if isinstance(header, h2frame.SettingsFrame) and "ACK" not in header.flags:
                        ack = h2frame.SettingsFrame(0)
                        ack.flags.add("ACK")
                        try:
                            self.send(ack)
                        except OSError:
                            pass  # the server is already closing

                    return header
            if self.closed:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the server in %.1f s" % timeout)
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
            self.pending += data

    def frames_until(self, done, timeout=10):
        """Frames up to and including the first for which done(frame) is true, or up to the
        close (None last)."""
        frames = []
        deadline = time.monotonic() + timeout
        while True:
            frame = self.read_frame(max(0.1, deadline - time.monotonic()))
            frames.append(frame)
            if frame is None or done(frame):
                return frames

    def response(self, stream_id, timeout=10):
        """(status, headers, body, trailers) of `stream_id`, read to its end."""
        status, headers, body, trailers = None, {}, b"", {}
        while True:
            frame = self.read_frame(timeout)
            if frame is None:
                raise AssertionError("connection closed before stream %d ended" % stream_id)
            if frame.stream_id != stream_id:
                continue
            if isinstance(frame, h2frame.RstStreamFrame):
                raise AssertionError("stream %d reset with %d" % (stream_id, frame.error_code))
            if isinstance(frame, h2frame.HeadersFrame):
                if status is None:
                    headers = frame.decoded
                    status = int(headers[":status"])
                else:
                    trailers = frame.decoded
            if isinstance(frame, h2frame.DataFrame):
                body += frame.data
            if "END_STREAM" in frame.flags:
                return status, headers, body, trailers

    def goaway(self, timeout=10):
        """The GOAWAY the server sends before closing, or None when it closed without one."""
        frames = self.frames_until(lambda f: isinstance(f, h2frame.GoAwayFrame), timeout)
        return frames[-1]


class Http2Test(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")
            folder = cls.class_dir
            cls.crt, key = make_certificate(folder, "echo", "echo.test", ["echo.test"])
            manifests = harness.ManifestDir(os.path.join(folder, "manifests"))
            manifests.write_world({"world.yaml": [
                ingress_class(), *backed_service("echo", cls.echo.host, cls.echo.port),
                tls_secret("echo", cls.crt, key),
                ingress("echo", rules=[rule("echo.test", path("/", "Prefix", "echo"))],
                        tls={"echo": ["echo.test"]}),
                ingress("plain", rules=[rule(PLAIN, path("/", "Prefix", "echo"))])]})
            cls.controlplane = harness.ControlPlane(cls.class_group, manifests.path)
            cls.controlplane.wait_ready()
            cls.https = harness.free_port()
            cls.dataplane = harness.DataPlane(
                cls.class_group, cls.controlplane.xds_address, "h2",
                extra_args=["--https-listen=127.0.0.1:%d" % cls.https])
            cls.dataplane.wait_ready()

    def curl(self, *args, https=False):
        port = self.https if https else self.dataplane.http
        scheme = "https" if https else "http"
        argv = ["curl", "-sS", "--max-time", "20", "-k", "--resolve",
                "echo.test:%d:127.0.0.1" % port, "-o", "-", "-w", "\n%{http_code} %{http_version}",
                *args]
        argv[-1] = "%s://echo.test:%d%s" % (scheme, port, argv[-1])
        result = subprocess.run(argv, capture_output=True, timeout=30)
        body, _, tail = result.stdout.rpartition(b"\n")
        status, _, version = tail.decode().partition(" ")
        return int(status or 0), version, body, result.stderr.decode()

    def requests_proxied(self):
        return harness.metric(self.dataplane.health, "gatehouse_dataplane_requests_total") or 0

    def test_curl_speaks_h2_through_alpn_and_h2c_with_prior_knowledge(self):
        status, version, body, err = self.curl("--http2", "/alpn?x=1", https=True)
        self.assertEqual((status, version), (200, "2"), err)
        answer = json.loads(body)
        headers = {k.lower(): v for k, v in answer["headers"]}
        self.assertEqual(answer["path"], "/alpn?x=1")
        self.assertEqual(headers["host"], "echo.test:%d" % self.https)
        self.assertEqual(headers["x-forwarded-proto"], "https")
        # HTTP/1.1 still, when the client offers only that.
        status, version, _, err = self.curl("--http1.1", "/", https=True)
        self.assertEqual((status, version), (200, "1.1"), err)
        # Cleartext: prior knowledge only (the HTTP/1.1 Upgrade to h2c is not offered, as in
        # nginx); the host has a certificate, so plain HTTP redirects, over HTTP/2 too.
        status, version, _, err = self.curl("--http2-prior-knowledge", "/plain")
        self.assertEqual((status, version), (308, "2"), err)
        status, version, _, err = self.curl("--http2-prior-knowledge",
                                            "/.well-known/acme-challenge/token")
        self.assertEqual((status, version), (200, "2"), err)
        status, version, _, err = self.curl("--http2", "/.well-known/acme-challenge/upgrade")
        self.assertEqual((status, version), (200, "1.1"), err)

    def test_bodies_stream_both_ways(self):
        payload = os.urandom(3 * 1024 * 1024 + 17)
        upload = os.path.join(self.dir, "upload.bin")
        with open(upload, "wb") as f:
            f.write(payload)
        status, version, body, err = self.curl("--http2", "--data-binary", "@" + upload,
                                               "/upload", https=True)
        self.assertEqual((status, version), (200, "2"), err)
        answer = json.loads(body)
        self.assertEqual(answer["body_bytes"], len(payload))
        self.assertEqual(answer["body_sha256"], hashlib.sha256(payload).hexdigest())
        # Expect: 100-continue is answered by the proxy, so the body goes at once.
        started = time.monotonic()
        status, version, body, err = self.curl("--http2", "-H", "Expect: 100-continue",
                                               "--expect100-timeout", "20", "--data-binary",
                                               "@" + upload, "/expect", https=True)
        self.assertEqual((status, version), (200, "2"), err)
        self.assertEqual(json.loads(body)["body_bytes"], len(payload))
        self.assertLess(time.monotonic() - started, 10)
        status, version, body, err = self.curl("--http2", "-D", os.path.join(self.dir, "head"),
                                               "/__bytes/5000000", https=True)
        self.assertEqual((status, version), (200, "2"), err)
        self.assertEqual(len(body), 5000000)
        with open(os.path.join(self.dir, "head")) as f:
            self.assertIn("x-echo-body-sha256: " + hashlib.sha256(body).hexdigest(), f.read())

    def test_nghttp_many_streams_and_trailers(self):
        url = "https://127.0.0.1:%d" % self.https
        argv = ["nghttp", "-nv", "-H", ":authority: echo.test", "-m", "40", url + "/many"]
        result = subprocess.run(argv, capture_output=True, timeout=60)
        output = result.stdout.decode(errors="replace")
        self.assertEqual(result.returncode, 0, output[-3000:] + result.stderr.decode())
        self.assertEqual(output.count(":status: 200"), 40, output[-3000:])
        # Trailers: the upstream's on a chunked response, the client's on its request body.
        result = subprocess.run(["nghttp", "-nv", "-H", ":authority: echo.test",
                                 url + "/__bytes/1000?trailer"], capture_output=True, timeout=30)
        output = result.stdout.decode(errors="replace")
        self.assertEqual(result.returncode, 0, output)
        self.assertRegex(output, r"recv \(stream_id=\d+\) x-echo-trailer: done")
        # The limits the data plane announces.
        self.assertIn("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128]", output)
        self.assertIn("[SETTINGS_MAX_HEADER_LIST_SIZE(0x06):65536]", output)

    def test_request_trailers_reach_the_upstream(self):
        conn = RawH2(self.dataplane.http)
        self.addCleanup(conn.close)
        conn.request(1, [(":method", "POST"), (":scheme", "http"), (":authority", PLAIN),
                         (":path", "/trailers")], end_stream=False, body=b"with a trailer")
        trailers = h2frame.HeadersFrame(1, conn.block([("x-request-trailer", "yes")]))
        trailers.flags.add("END_HEADERS")
        trailers.flags.add("END_STREAM")
        conn.send(trailers)
        status, _, body, _ = conn.response(1)
        self.assertEqual(status, 200, body)
        answer = json.loads(body)
        self.assertEqual(answer["body_bytes"], len(b"with a trailer"))
        self.assertIn(["x-request-trailer", "yes"], [[k.lower(), v] for k, v in answer["trailers"]])

    def test_malformed_frames_and_attacks(self):
        authority = [(":method", "GET"), (":scheme", "http"), (":authority", PLAIN),
                     (":path", "/raw")]

        def headers_frame(conn, stream_id, headers, flags=("END_HEADERS", "END_STREAM")):
            frame = h2frame.HeadersFrame(stream_id, conn.block(headers))
            for flag in flags:
                frame.flags.add(flag)
            return frame

        def raw_frame(kind, flags, stream_id, payload):
            return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
                struct.pack(">I", stream_id) + payload

        def http1_after_the_preface(conn):
            conn.send_raw(b"GET / HTTP/1.1\r\nHost: plain.test\r\n\r\n")

        def data_on_stream_zero(conn):
            conn.send_raw(raw_frame(0x0, 0x1, 0, b"hello"))

        def even_stream_id(conn):
            conn.send(headers_frame(conn, 2, authority))

        def zero_window_update(conn):
            conn.send(h2frame.WindowUpdateFrame(0, 0))

        def window_overflow(conn):
            conn.send(h2frame.WindowUpdateFrame(0, 2**31 - 1))

        def bad_settings_length(conn):
            conn.send_raw(raw_frame(0x4, 0x0, 0, b"\x00\x03\x00"))

        def uppercase_name(conn):
            conn.send(headers_frame(conn, 1, authority + [("X-Upper", "1")]))

        def missing_path(conn):
            conn.send(headers_frame(conn, 1, authority[:3]))

        def connection_header(conn):
            conn.send(headers_frame(conn, 1, authority + [("connection", "keep-alive")]))

        def te_not_trailers(conn):
            conn.send(headers_frame(conn, 1, authority + [("te", "gzip")]))

        def authority_with_userinfo(conn):
            # RFC 9113 section 8.3.1 / RFC 9110 section 7.2: no userinfo. URL parsers read
            # "echo.test:@evil.test" as evil.test; over HTTP/1.1 the same Host gets 400.
            conn.send(headers_frame(conn, 1, [(":method", "GET"), (":scheme", "http"),
                                              (":authority", PLAIN.split(":")[0] + ":@evil.test"),
                                              (":path", "/never")]))

        def connect_method(conn):
            conn.send(headers_frame(conn, 1, [(":method", "CONNECT"),
                                              (":authority", "elsewhere:443")]))

        def header_list_too_large(conn):
            big = [("x-big-%d" % i, "v" * 4000) for i in range(18)]  # ~72 KiB
            block = conn.block(authority + big)
            first = h2frame.HeadersFrame(1, block[:16000])
            first.flags.add("END_STREAM")
            conn.send(first)
            rest = [block[i:i + 16000] for i in range(16000, len(block), 16000)]
            for n, piece in enumerate(rest):
                frame = h2frame.ContinuationFrame(1, piece)
                if n == len(rest) - 1:
                    frame.flags.add("END_HEADERS")
                conn.send(frame)

        def too_many_fields(conn):
            conn.send(headers_frame(conn, 1, authority + [("x-f%d" % i, "1") for i in range(150)]))

        def continuation_flood(conn):
            first = h2frame.HeadersFrame(1, conn.block(authority))
            first.flags.add("END_STREAM")
            conn.send(first)
            for i in range(200):
                conn.send(h2frame.ContinuationFrame(1, conn.block([("x-flood-%d" % i, "x")])))

        def hpack_bomb(conn):
            # One 4 KiB field into the dynamic table (literal with incremental indexing, index
            # 62), then a thousand one-byte references to it: 4 MiB decoded from 4 KiB sent.
            value = b"b" * 4000
            name = b"x-bomb"
            rest = len(value) - 127  # HPACK integer, 7-bit prefix: 127, then 7 bits a byte
            insert = bytes([0x40, len(name)]) + name + bytes([0x7f, 0x80 | rest & 0x7f,
                                                               rest >> 7]) + value
            block = hpack.Encoder().encode(authority) + insert + bytes([0x80 | 62]) * 1000
            frame = h2frame.HeadersFrame(1, block)
            frame.flags.add("END_HEADERS")
            frame.flags.add("END_STREAM")
            conn.send(frame)

        def rapid_reset(conn):
            for n in range(500):
                stream_id = 1 + 2 * n
                conn.send(headers_frame(conn, stream_id, authority))
                conn.send(h2frame.RstStreamFrame(stream_id, CANCEL))

        # (name, attack, expected): ("goaway", code), ("rst", code) or ("status", n).
        cases = [
            ("HTTP/1.1 after the preface", http1_after_the_preface, ("goaway", FRAME_SIZE_ERROR)),
            ("DATA on stream 0", data_on_stream_zero, ("goaway", PROTOCOL_ERROR)),
            ("client stream with an even id", even_stream_id, ("goaway", PROTOCOL_ERROR)),
            ("WINDOW_UPDATE of 0", zero_window_update, ("goaway", PROTOCOL_ERROR)),
            ("window over 2^31-1", window_overflow, ("goaway", FLOW_CONTROL_ERROR)),
            ("SETTINGS of 3 bytes", bad_settings_length, ("goaway", FRAME_SIZE_ERROR)),
            ("uppercase field name", uppercase_name, ("rst", PROTOCOL_ERROR)),
            ("no :path", missing_path, ("rst", PROTOCOL_ERROR)),
            ("Connection header", connection_header, ("rst", PROTOCOL_ERROR)),
            ("TE other than trailers", te_not_trailers, ("rst", PROTOCOL_ERROR)),
            ("CONNECT", connect_method, ("status", 405)),
            (":authority with userinfo", authority_with_userinfo, ("status", 400)),
            ("header list over 64 KiB", header_list_too_large, ("status", 431)),
            ("150 header fields", too_many_fields, ("status", 431)),
            ("CONTINUATION flood", continuation_flood, ("goaway", ENHANCE_YOUR_CALM)),
            ("HPACK bomb", hpack_bomb, ("goaway", ENHANCE_YOUR_CALM)),
            ("rapid reset", rapid_reset, ("goaway", ENHANCE_YOUR_CALM)),
        ]
        for name, attack, (kind, expected) in cases:
            with self.subTest(case=name):
                before = self.requests_proxied()
                conn = RawH2(self.dataplane.http)
                self.addCleanup(conn.close)
                try:
                    attack(conn)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server may close while the attack is still being written
                if kind == "goaway":
                    frame = conn.goaway()
                    self.assertIsNotNone(frame, "closed without GOAWAY")
                    self.assertEqual(frame.error_code, expected, frame)
                    self.assertIsNone(conn.frames_until(lambda f: False)[-1])
                elif kind == "rst":
                    frames = conn.frames_until(
                        lambda f: isinstance(f, (h2frame.RstStreamFrame, h2frame.GoAwayFrame))
                        or (f.stream_id == 1 and "END_STREAM" in f.flags))
                    self.assertIsInstance(frames[-1], h2frame.RstStreamFrame, frames)
                    self.assertEqual(frames[-1].error_code, expected)
                else:
                    status, _, body, _ = conn.response(1)
                    self.assertEqual(status, expected, body)
                if name != "rapid reset":
                    # Refused in the codec: no request was routed.
                    self.assertEqual(self.requests_proxied(), before)
                conn.close()
        # After all that, the data plane serves as before.
        status, version, _, err = self.curl("--http2", "/after", https=True)
        self.assertEqual((status, version), (200, "2"), err)

    def test_malformed_requests_of_rfc9113_never_reach_the_upstream(self):
        # RFC 9113 sections 8.2 and 8.3: a request with these faults is malformed; the server
        # treats it as a stream error of type PROTOCOL_ERROR (section 8.1.1), and may answer
        # with a 4xx instead; either way an intermediary MUST NOT forward it. Each case sends
        # one request on a fresh connection, then expects a reset of the stream or a 4xx, and
        # that the data plane routed nothing.
        method, scheme = (":method", "GET"), (":scheme", "http")
        authority, path = (":authority", PLAIN), (":path", "/rfc9113")
        base = [method, scheme, authority, path]
        cases = [
            # 8.3: pseudo-header fields come before every regular field, once each.
            ("pseudo-header after a regular field", [method, scheme, ("x-a", "1"), authority,
                                                     path]),
            ("pseudo-header last", [method, scheme, authority, ("accept", "*/*"), path]),
            ("two :path", base + [(":path", "/other")]),
            ("two :method", [method, (":method", "POST"), scheme, authority, path]),
            ("two :scheme", base + [(":scheme", "https")]),
            ("two :authority", base + [(":authority", "other.test")]),
            # 8.3: only the defined pseudo-headers, and none of a response's.
            ("unknown pseudo-header", base + [(":protocol", "websocket")]),
            ("made-up pseudo-header", base + [(":foo", "bar")]),
            (":status in a request", base + [(":status", "200")]),
            # 8.3.1: :method, :scheme and :path are all present, :path not empty.
            ("no :method", [scheme, authority, path]),
            ("no :scheme", [method, authority, path]),
            ("empty :path", [method, scheme, authority, (":path", "")]),
            # 8.3.1: :path starts with "/" (or is "*" for OPTIONS).
            (":path without a leading slash", [method, scheme, authority, (":path", "rfc9113")]),
            (":path asterisk for GET", [method, scheme, authority, (":path", "*")]),
            (":path absolute URI", [method, scheme, authority,
                                    (":path", "http://other.test/rfc9113")]),
            # 8.2: field names are lowercase, pseudo-headers included.
            ("uppercase pseudo-header", [method, scheme, authority, (":Path", "/rfc9113")]),
            ("mixed-case field name", base + [("Content-Type", "text/plain")]),
            # 8.2.1: names are tokens; values hold no CR, LF or NUL, and no whitespace at
            # either end.
            ("space in a field name", base + [("x a", "1")]),
            ("colon in a field name", base + [("x:a", "1")]),
            ("empty field name", base + [("", "1")]),
            ("CR LF in a value", base + [("x-a", "1\r\nx-injected: 2")]),
            ("NUL in a value", base + [("x-a", "1\x002")]),
            ("leading space in a value", base + [("x-a", " 1")]),
            ("trailing tab in a value", base + [("x-a", "1\t")]),
            # 8.2.2: connection-specific fields.
            ("keep-alive", base + [("keep-alive", "timeout=5")]),
            ("proxy-connection", base + [("proxy-connection", "keep-alive")]),
            ("transfer-encoding", base + [("transfer-encoding", "chunked")]),
            ("upgrade", base + [("upgrade", "websocket")]),
            ("TE listing trailers and more", base + [("te", "trailers, deflate")]),
            # 8.3.1: Host naming another authority than :authority.
            ("Host differs from :authority", base + [("host", "other.test")]),
        ]
        for name, fields in cases:
            with self.subTest(case=name):
                before = self.requests_proxied()
                conn = RawH2(self.dataplane.http)
                self.addCleanup(conn.close)
                block = hpack.Encoder().encode(fields) if name != "empty field name" else (
                    hpack.Encoder().encode(base) + b"\x00\x00\x011")
                frame = h2frame.HeadersFrame(1, block)
                frame.flags.add("END_HEADERS")
                frame.flags.add("END_STREAM")
                conn.send(frame)
                frames = conn.frames_until(
                    lambda f: f is not None and f.stream_id == 1 and (
                        isinstance(f, h2frame.RstStreamFrame) or "END_STREAM" in f.flags
                        or isinstance(f, h2frame.HeadersFrame))
                    or isinstance(f, h2frame.GoAwayFrame))
                last = frames[-1]
                if isinstance(last, h2frame.HeadersFrame):
                    status = int(last.decoded[":status"])
                    self.assertTrue(400 <= status < 500, "answered %d" % status)
                else:
                    self.assertIsInstance(last, (h2frame.RstStreamFrame, h2frame.GoAwayFrame),
                                          frames)
                    self.assertEqual(last.error_code, PROTOCOL_ERROR, last)
                self.assertEqual(self.requests_proxied(), before, "the request was routed")
                conn.close()
        # The same request, well formed, is served.
        conn = RawH2(self.dataplane.http)
        self.addCleanup(conn.close)
        conn.request(1, base)
        self.assertEqual(conn.response(1)[0], 200)

    def test_a_client_vanishing_with_streams_in_flight_harms_nothing(self):
        # Windows wide open, so responses stream while the client resets the connection.
        wide = {h2frame.SettingsFrame.INITIAL_WINDOW_SIZE: 2**31 - 1}
        for round in range(10):
            tls = round % 2 == 1
            conn = (RawH2(self.https, settings=wide, tls_name="echo.test") if tls else
                    RawH2(self.dataplane.http, settings=wide))
            conn.send(h2frame.WindowUpdateFrame(0, 2**31 - 1 - 65535))
            for n in range(20):
                path = "/__slow/300" if n % 4 == 0 else "/__bytes/2000000"
                conn.request(1 + 2 * n, [(":method", "GET"),
                                         (":scheme", "https" if tls else "http"),
                                         (":authority", "echo.test" if tls else PLAIN),
                                         (":path", path)])
            time.sleep(0.05 * (round // 2))
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # a reset, with every stream still open
        time.sleep(0.5)
        self.assertTrue(self.dataplane.process.running())
        status, version, _, err = self.curl("--http2", "/after", https=True)
        self.assertEqual((status, version), (200, "2"), err)

    def test_flow_control_holds_a_response_the_client_has_no_window_for(self):
        conn = RawH2(self.dataplane.http, settings={h2frame.SettingsFrame.INITIAL_WINDOW_SIZE:
                                                   16384})
        self.addCleanup(conn.close)
        conn.request(1, [(":method", "GET"), (":scheme", "http"), (":authority", PLAIN),
                         (":path", "/__bytes/1000000")])
        received = 0
        try:
            while True:
                frame = conn.read_frame(timeout=1.5)
                if isinstance(frame, h2frame.DataFrame):
                    received += len(frame.data)
        except TimeoutError:
            pass
        self.assertEqual(received, 16384)  # the stream's window, not a byte more
        conn.send(h2frame.WindowUpdateFrame(0, 2000000))
        conn.send(h2frame.WindowUpdateFrame(1, 2000000))
        while True:
            frame = conn.read_frame()
            if isinstance(frame, h2frame.DataFrame):
                received += len(frame.data)
                if "END_STREAM" in frame.flags:
                    break
        self.assertEqual(received, 1000000)

    def test_drain_sends_goaway_and_finishes_streams_in_progress(self):
        dataplane = harness.DataPlane(self.group, self.controlplane.xds_address, "h2-drain",
                                      extra_args=["--drain-timeout=20s"])
        dataplane.wait_ready()
        conn = RawH2(dataplane.http)
        self.addCleanup(conn.close)
        conn.request(1, [(":method", "GET"), (":scheme", "http"), (":authority", PLAIN),
                         (":path", "/__slow/1500")])
        time.sleep(0.3)
        dataplane.process.signal(signal.SIGTERM)
        frames = conn.frames_until(lambda f: isinstance(f, h2frame.GoAwayFrame))
        self.assertEqual(frames[-1].error_code, NO_ERROR)
        self.assertGreaterEqual(frames[-1].last_stream_id, 1)
        status, _, _, _ = conn.response(1)
        self.assertEqual(status, 200)
        self.assertIsNone(conn.frames_until(lambda f: False)[-1])  # then the close
        harness.wait_until(lambda: not dataplane.process.running(), 20, "the data plane to exit")
        self.assertEqual(dataplane.process.returncode(), 0)

    def test_idle_connection_gets_goaway_then_close(self):
        dataplane = harness.DataPlane(self.group, self.controlplane.xds_address, "h2-idle",
                                      extra_args=["--idle-timeout=1s"])
        dataplane.wait_ready()
        conn = RawH2(dataplane.http)
        self.addCleanup(conn.close)
        conn.request(1, [(":method", "GET"), (":scheme", "http"), (":authority", PLAIN),
                         (":path", "/idle")])
        self.assertEqual(conn.response(1)[0], 200)
        started = time.monotonic()
        frame = conn.goaway(timeout=10)
        self.assertEqual(frame.error_code, NO_ERROR)
        self.assertEqual(frame.last_stream_id, 1)
        self.assertGreater(time.monotonic() - started, 0.5)
        self.assertIsNone(conn.frames_until(lambda f: False)[-1])
        self.assertEqual(harness.metric(dataplane.health,
                                        "gatehouse_dataplane_downstream_closed_total",
                                        reason="idle_timeout"), 1)


if __name__ == "__main__":
    unittest.main()
