"""--use-proxy-protocol through real processes, from raw sockets. Reference: HAProxy's "The PROXY
protocol" specification (versions 1 and 2: the header a load balancer in TCP mode sends first,
naming the client), and ingress-nginx's use-proxy-protocol ConfigMap key, which makes the
address it names the client's ($remote_addr, and so X-Forwarded-For and the allow lists). The
issue asks that a listener expecting the header refuse a connection without it.
"""

import json
import os
import socket
import ssl
import struct
import time
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

N = "nginx.ingress.kubernetes.io/"
SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(command, family, body):
    return SIGNATURE + bytes([0x20 | command, family]) + struct.pack("!H", len(body)) + body


def v2_ipv4(source, port, command=1):
    body = socket.inet_aton(source) + socket.inet_aton("10.0.0.1") + struct.pack("!HH", port, 443)
    return v2(command, 0x11, body)


def v2_ipv6(source, port):
    body = (socket.inet_pton(socket.AF_INET6, source) +
            socket.inet_pton(socket.AF_INET6, "2001:db8::1") + struct.pack("!HH", port, 443))
    return v2(1, 0x21, body)


def request(host, target="/"):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (target, host)).encode()


def read_all(sock):
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def parse(raw):
    """(status, {lower-case header: value}, body) of one HTTP/1.1 response, or None for none."""
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


class ProxyProtocolTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def world(echo):
            return [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                ingress("app", rules=[rule("app.test", path("/", "Prefix", "echo"))]),
                ingress("office", rules=[rule("office.test", path("/", "Prefix", "echo"))],
                        annotations={N + "allowlist-source-range": "203.0.113.0/24"}),
            ]
        cls.https = harness.free_port()
        cls.log = os.path.join(cls.class_dir, "access.log")
        cls.start_echo_world(world, dataplane_args=[
            "--use-proxy-protocol", "--https-listen=127.0.0.1:%d" % cls.https,
            "--request-header-timeout=1s", "--access-log=" + cls.log])
        with cls.class_logs_on_error():
            cls.both = harness.DataPlane(cls.class_group, cls.controlplane.xds_address, "both",
                                         extra_args=["--use-proxy-protocol",
                                                     "--use-forwarded-headers"])
            cls.both.wait_ready()

    def exchange(self, *pieces, port=None, pause=0.0):
        with socket.create_connection(("127.0.0.1", port or self.dataplane.http), timeout=10) as s:
            for piece in pieces:
                s.sendall(piece)
                if pause:
                    time.sleep(pause)
            return parse(read_all(s))

    def forwarded_for(self, response):
        self.assertIsNotNone(response)
        status, _, body = response
        self.assertEqual(status, 200, body)
        headers = json.loads(body)["headers"]
        return [value for key, value in headers if key.lower() == "x-forwarded-for"]

    def test_version_one_names_the_client(self):
        header = b"PROXY TCP4 203.0.113.9 10.0.0.1 56324 80\r\n"
        self.assertEqual(self.forwarded_for(self.exchange(header + request("app.test"))),
                         ["203.0.113.9"])
        header = b"PROXY TCP6 2001:db8::9 2001:db8::1 56324 80\r\n"
        self.assertEqual(self.forwarded_for(self.exchange(header, request("app.test"))),
                         ["2001:db8::9"])
        # UNKNOWN: the socket's peer stands.
        self.assertEqual(self.forwarded_for(self.exchange(b"PROXY UNKNOWN\r\n",
                                                          request("app.test"))), ["127.0.0.1"])

    def test_version_two_names_the_client(self):
        self.assertEqual(self.forwarded_for(self.exchange(v2_ipv4("198.51.100.4", 1234) +
                                                          request("app.test"))),
                         ["198.51.100.4"])
        self.assertEqual(self.forwarded_for(self.exchange(v2_ipv6("2001:db8::42", 1234),
                                                          request("app.test"))),
                         ["2001:db8::42"])
        # LOCAL, a load balancer's own health check: the socket's peer stands.
        self.assertEqual(self.forwarded_for(self.exchange(v2(0, 0, b"") + request("app.test"))),
                         ["127.0.0.1"])

    def test_forwarded_for_never_overrides_the_proxy_header(self):
        # As ingress-nginx's real_ip_header proxy_protocol: a client behind the TCP load
        # balancer cannot choose its address by header, even with --use-forwarded-headers.
        raw = (b"PROXY TCP4 203.0.113.9 10.0.0.1 1 80\r\n"
               b"GET / HTTP/1.1\r\nHost: office.test\r\nX-Forwarded-For: 203.0.113.10\r\n"
               b"X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
        self.assertEqual(self.exchange(raw, port=self.both.http)[0], 200)
        raw = raw.replace(b"203.0.113.9", b"198.51.100.9")
        self.assertEqual(self.exchange(raw, port=self.both.http)[0], 403)
        raw = raw.replace(b"office.test", b"app.test")
        _, _, body = self.exchange(raw, port=self.both.http)
        headers = {key.lower(): value for key, value in json.loads(body)["headers"]}
        self.assertEqual(headers["x-real-ip"], "198.51.100.9")
        self.assertEqual(headers["x-forwarded-proto"], "https")

    def test_a_header_arriving_a_byte_at_a_time_is_waited_for(self):
        header = v2_ipv4("198.51.100.5", 1234)
        pieces = [header[i:i + 1] for i in range(len(header))] + [request("app.test")]
        self.assertEqual(self.forwarded_for(self.exchange(*pieces, pause=0.005)),
                         ["198.51.100.5"])

    def test_a_connection_without_the_header_is_closed_unanswered(self):
        cases = [
            request("app.test"),                                    # plain HTTP
            b"PROXY TCP4 203.0.113.9 10.0.0.1 99999 80\r\n" + request("app.test"),
            v2(2, 0x11, b"\x00" * 12) + request("app.test"),        # an unknown command
            b"\x16\x03\x01\x00\x05hello",                           # TLS without the header
        ]
        for raw in cases:
            with self.subTest(raw=raw[:20]):
                self.assertIsNone(self.exchange(raw))
        # Nothing in time: closed after --request-header-timeout.
        started = time.monotonic()
        self.assertIsNone(self.exchange(b"PROXY TCP4 203.0"))
        self.assertLess(time.monotonic() - started, 8)

    def test_tls_starts_after_the_header(self):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.https), timeout=10) as raw:
            raw.sendall(b"PROXY TCP4 203.0.113.77 10.0.0.1 40000 443\r\n")
            with context.wrap_socket(raw, server_hostname="app.test") as tls:
                tls.sendall(request("app.test"))
                response = parse(read_all(tls))
        self.assertEqual(self.forwarded_for(response), ["203.0.113.77"])

    def test_allow_lists_and_the_access_log_see_the_named_client(self):
        inside = b"PROXY TCP4 203.0.113.10 10.0.0.1 1 80\r\n"
        outside = b"PROXY TCP4 198.51.100.10 10.0.0.1 1 80\r\n"
        self.assertEqual(self.exchange(inside + request("office.test", "/logged"))[0], 200)
        self.assertEqual(self.exchange(outside + request("office.test"))[0], 403)
        self.assertEqual(harness.access_log_entries(self.log, "/logged")[0]["client"],
                         "203.0.113.10")


if __name__ == "__main__":
    unittest.main()
