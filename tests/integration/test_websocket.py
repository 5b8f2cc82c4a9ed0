"""WebSocket through the data plane: the handshake reaches the upstream and its 101 comes back,
then messages flow both ways for the life of the connection (large ones too, with backpressure),
a config change in between does not cut the tunnel, a close from either side ends both
connections, and a tunnel idle for --tunnel-idle-timeout is closed.

The upstream is deploy/examples/echo_server.py, which echoes every message prefixed with its
name; the client is a raw socket speaking RFC 6455 (deploy/examples/websocket.py).
"""

import os
import socket
import sys
import time
import unittest

import harness
from manifests import echo_world, ingress, path, rule

sys.path.insert(0, harness.EXAMPLES)
import websocket  # noqa: E402  (deploy/examples/websocket.py)


class WebSocketClient:
    def __init__(self, port, host="echo.test", target="/chat"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        self.key = websocket.new_key()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\n"
                           "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Key: %s\r\n\r\n" % (target, host, self.key)).encode())
        self.status_line = self.file.readline().decode("latin-1")
        self.headers = {}
        while True:
            line = self.file.readline().decode("latin-1")
            if line in ("\r\n", ""):
                break
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def send(self, opcode, payload):
        self.sock.sendall(websocket.frame(opcode, payload, masked=True))

    def receive(self):
        return websocket.read_frame(self.file)

    def closed_by_peer(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


class WebSocketTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")

    def setUp(self):
        super().setUp()
        self.manifests = self.manifest_dir({"world.yaml": echo_world(self.echo)})
        self.controlplane = self.start_controlplane(self.manifests)
        self.dataplane = harness.DataPlane(self.group, self.controlplane.xds_address, "websocket",
                                           workers=2)
        self.dataplane.wait_ready()

    def connect(self):
        client = WebSocketClient(self.dataplane.http)
        self.addCleanup(client.close)
        self.assertTrue(client.status_line.startswith("HTTP/1.1 101 "), client.status_line)
        self.assertEqual(client.headers.get("upgrade", "").lower(), "websocket")
        self.assertEqual(client.headers.get("connection", "").lower(), "upgrade")
        self.assertEqual(client.headers.get("sec-websocket-accept"),
                         websocket.accept_key(client.key))
        return client

    def test_messages_flow_both_ways_until_the_client_closes(self):
        client = self.connect()
        for text in (b"hello", b"again", "\u00e9t\u00e9".encode()):
            client.send(websocket.TEXT, text)
            self.assertEqual(client.receive(), (websocket.TEXT, b"echo:" + text))
        client.send(websocket.PING, b"p")
        self.assertEqual(client.receive(), (websocket.PONG, b"p"))
        # 4 MiB each way: more than any socket buffer, so both directions apply backpressure.
        big = os.urandom(4 << 20)
        client.send(websocket.BINARY, big)
        opcode, payload = client.receive()
        self.assertEqual((opcode, len(payload)), (websocket.BINARY, len(big) + 5))
        self.assertEqual(payload, b"echo:" + big)
        client.send(websocket.CLOSE, b"\x03\xe8")
        self.assertEqual(client.receive(), (websocket.CLOSE, b"\x03\xe8"))
        self.assertTrue(client.closed_by_peer(), "the proxy kept the connection after the close")
        # The upstream saw the handshake as a GET of the path, with the WebSocket headers.
        self.assertIn('"GET /chat HTTP/1.1" 101', self.echo.process.log())

    def test_a_config_change_does_not_cut_an_open_tunnel(self):
        client = self.connect()
        client.send(websocket.TEXT, b"before")
        self.assertEqual(client.receive(), (websocket.TEXT, b"echo:before"))
        # An unrelated edit: a new host. Once it routes, the data plane runs the new version.
        world = echo_world(self.echo)
        world.append(ingress("other", rules=[rule("other.test", path("/", "Prefix", "echo"))]))
        self.manifests.write("world.yaml", *world)
        harness.wait_until(lambda: self.dataplane.get("other.test").status == 200, 10,
                           "the new host to route", [self.dataplane.process])
        time.sleep(0.5)
        client.send(websocket.TEXT, b"after")
        self.assertEqual(client.receive(), (websocket.TEXT, b"echo:after"))

    def test_the_upstream_closing_ends_the_client_connection(self):
        client = self.connect()
        client.send(websocket.CLOSE, b"")
        self.assertEqual(client.receive(), (websocket.CLOSE, b""))
        # The echo server closes its end after answering the close; the proxy follows.
        self.assertTrue(client.closed_by_peer())

    def test_an_idle_tunnel_closes_after_the_tunnel_idle_timeout(self):
        dataplane = harness.DataPlane(self.group, self.controlplane.xds_address, "tunnel-idle",
                                      workers=1, extra_args=["--tunnel-idle-timeout=1s"])
        dataplane.wait_ready()
        client = WebSocketClient(dataplane.http)
        self.addCleanup(client.close)
        self.assertTrue(client.status_line.startswith("HTTP/1.1 101 "), client.status_line)
        # Bytes either way keep it open past the timeout...
        for i in range(4):
            time.sleep(0.5)
            client.send(websocket.TEXT, b"ping %d" % i)
            self.assertEqual(client.receive(), (websocket.TEXT, b"echo:ping %d" % i))
        # ...and a tunnel left idle is closed.
        started = time.monotonic()
        self.assertTrue(client.closed_by_peer(timeout=5))
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual(harness.metric(dataplane.health,
                                        "gatehouse_dataplane_downstream_closed_total",
                                        reason="idle_timeout"), 1)

    def test_an_upgrade_answered_without_101_is_an_ordinary_answer_then_a_close(self):
        unrouted = WebSocketClient(self.dataplane.http, host="nowhere.test")
        self.addCleanup(unrouted.close)
        self.assertTrue(unrouted.status_line.startswith("HTTP/1.1 404 "), unrouted.status_line)
        self.assertEqual(unrouted.headers.get("connection"), "close")
        self.assertTrue(unrouted.closed_by_peer())

if __name__ == "__main__":
    unittest.main()
