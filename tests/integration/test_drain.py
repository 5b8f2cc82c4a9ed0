"""Leaving and limits: a data plane stopped with SIGTERM drains (its readiness fails at once,
responses say Connection: close, the listener closes after --drain-delay, requests in progress
finish, then it exits 0) without failing a request; --drain-timeout bounds a request that would
never end; --max-connections closes connections over the limit at once. Every closed client
connection is counted by reason.
"""

import http.client
import signal
import socket
import threading
import time
import unittest

import harness
from manifests import echo_world


class SlowRequest(threading.Thread):
    """GET /__slow/MS on its own connection, in the background; keeps status or error."""

    def __init__(self, port, milliseconds):
        super().__init__(daemon=True)
        self.port = port
        self.path = "/__slow/%d" % milliseconds
        self.status = None
        self.error = None
        self.connected = threading.Event()
        self.start()

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.connect()
            self.connected.set()
            connection.request("GET", self.path, headers={"Host": "echo.test"})
            response = connection.getresponse()
            response.read()
            self.status = response.status
        except (OSError, http.client.HTTPException) as failure:
            self.error = "%s: %s" % (type(failure).__name__, failure)
        finally:
            self.connected.set()
            connection.close()


class DrainTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo", quiet=True)

    def start_dataplane(self, *extra_args):
        manifests = self.manifest_dir({"world.yaml": echo_world(self.echo)})
        controlplane = self.start_controlplane(manifests)
        dataplane = harness.DataPlane(self.group, controlplane.xds_address, "drain", workers=2,
                                      log_level="info", extra_args=list(extra_args))
        dataplane.wait_ready()
        return dataplane

    def test_sigterm_drains_under_load_without_a_failed_request(self):
        dataplane = self.start_dataplane("--drain-delay=2s", "--drain-timeout=20s")
        target = harness.LoadTarget(dataplane.http, "echo.test", "/steady", expected="echo")
        load = harness.SteadyLoad([target], keepalive_workers=2, fresh_workers=1, duration=60)
        load.start()
        self.addCleanup(load.stop)
        time.sleep(0.5)
        slow = [SlowRequest(dataplane.http, 4000) for _ in range(3)]
        for request in slow:
            request.connected.wait(5)
        time.sleep(0.2)  # the slow requests have reached the upstream

        load.mark("SIGTERM")
        dataplane.process.signal(signal.SIGTERM)
        signalled = time.monotonic()
        harness.wait_until(lambda: harness.health_get(dataplane.health, "/readyz")[0] == 503, 1.0,
                           "/readyz to answer 503 once draining", [dataplane.process])
        # A load balancer takes the replica out once its readiness fails: new requests stop.
        # Until then, a response on a kept-alive connection asks the client to reconnect.
        connection = http.client.HTTPConnection("127.0.0.1", dataplane.http, timeout=5)
        connection.request("GET", "/during-drain", headers={"Host": "echo.test"})
        response = connection.getresponse()
        response.read()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Connection"), "close")
        connection.close()
        load.mark("readiness failed; load stops")
        load.stop()
        self.assertEqual(load.failures(), [], load.summary())
        self.assertGreater(len(load.results()), 20)

        # After the delay the listener is closed, while the slow requests still run.
        harness.wait_until(lambda: time.monotonic() - signalled > 2.5, 5, "the drain delay")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", dataplane.http), timeout=2).close()
        self.assertTrue(dataplane.process.running())
        self.assertGreaterEqual(
            harness.metric(dataplane.health, "gatehouse_dataplane_downstream_closed_total",
                           reason="drain") or 0, 1)

        # The requests in progress finish, then the process exits on its own, with 0.
        for request in slow:
            request.join(10)
            self.assertEqual((request.status, request.error), (200, None))
        harness.wait_until(lambda: not dataplane.process.running(), 5,
                           "the data plane to exit once drained", [])
        self.assertEqual(dataplane.process.returncode(), 0)
        self.assertIn("drained: every connection closed", dataplane.process.log())

    def test_drain_timeout_bounds_a_request_that_would_not_end(self):
        dataplane = self.start_dataplane("--drain-delay=0s", "--drain-timeout=1s")
        slow = SlowRequest(dataplane.http, 20000)
        slow.connected.wait(5)
        time.sleep(0.2)
        signalled = time.monotonic()
        dataplane.process.signal(signal.SIGTERM)
        harness.wait_until(lambda: not dataplane.process.running(), 10,
                           "the data plane to exit after --drain-timeout", [])
        self.assertLess(time.monotonic() - signalled, 8)
        self.assertEqual(dataplane.process.returncode(), 0)
        self.assertIn("drain timeout", dataplane.process.log())
        slow.join(5)
        self.assertFalse(slow.is_alive())
        self.assertIsNone(slow.status)  # cut off: it would have taken 20 s
        self.assertIsNotNone(slow.error)

    def test_sigint_stops_at_once_without_draining(self):
        dataplane = self.start_dataplane("--drain-delay=30s")
        dataplane.process.signal(signal.SIGINT)
        harness.wait_until(lambda: not dataplane.process.running(), 5,
                           "the data plane to exit on SIGINT", [])
        self.assertEqual(dataplane.process.returncode(), 0)
        self.assertNotIn("draining", dataplane.process.log())

    def test_connections_over_the_limit_are_closed_at_once_and_counted(self):
        dataplane = self.start_dataplane("--max-connections=3")
        held = []
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", dataplane.http), timeout=5)
            self.addCleanup(sock.close)
            sock.sendall(b"GET /held HTTP/1.1\r\nHost: echo.test\r\n\r\n")
            self.assertTrue(sock.recv(65536).startswith(b"HTTP/1.1 200 "))
            held.append(sock)
        over = socket.create_connection(("127.0.0.1", dataplane.http), timeout=5)
        self.addCleanup(over.close)
        try:
            over.sendall(b"GET /over HTTP/1.1\r\nHost: echo.test\r\n\r\n")
            answer = over.recv(65536)
        except ConnectionResetError:
            answer = b""
        self.assertEqual(answer, b"")  # closed without a response
        self.assertEqual(harness.metric(dataplane.health,
                                        "gatehouse_dataplane_downstream_closed_total",
                                        reason="max_connections"), 1)
        # A slot given back is a slot to take.
        held.pop().close()
        harness.wait_until(lambda: dataplane.get("echo.test", "/again").status == 200, 5,
                           "a connection to be accepted again", [dataplane.process])
        self.assertGreaterEqual(
            harness.metric(dataplane.health, "gatehouse_dataplane_downstream_closed_total",
                           reason="peer_closed"), 1)


if __name__ == "__main__":
    unittest.main()
