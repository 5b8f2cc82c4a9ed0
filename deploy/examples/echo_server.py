#!/usr/bin/env python3
"""A small HTTP/1.1 upstream server: the local demo's backends and the integration tests' upstream.

Every request is answered with a JSON description of what arrived:

    {"server": NAME, "method": ..., "path": raw request-target (query included),
     "headers": [[name, value], ...] as received, "body_bytes": N, "body_sha256": hex,
     "trailers": [[name, value], ...] of a chunked body,
     "connection": id of the TCP connection, "request_on_connection": 1, 2, ...}

Control paths (the part before '?' decides):

    /__status/NNN   answer with status NNN (and the same JSON body)
    /__bytes/N      a body of N bytes in chunked encoding (?trailer: then the trailer field
                    X-Echo-Trailer: done); bytes are pattern_bytes(N), and the
                    X-Echo-Body-Sha256 header carries their hash
    /__close        close the connection without answering (an upstream failure)
    /__slow/MS      answer as usual, but only after MS milliseconds (a request in progress)

A GET with "Upgrade: websocket" is accepted (101) on any path, and every text or binary message
is then sent back as it came, each prefixed with "NAME:" (the --name) so a client can tell which
upstream answered; a ping gets its pong, a close its close.

Keep-alive is on (HTTP/1.1). Request bodies are read by Content-Length or chunked encoding. No
Server header is sent unless --server-header is given, so a proxy adding one can be observed.

Standard library only:  python3 echo_server.py --listen 127.0.0.1:9101 --name app
"""

import argparse
import hashlib
import itertools
import json
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import websocket

_CHUNK = 64 * 1024
_connection_ids = itertools.count(1)
_connection_ids_lock = threading.Lock()


def pattern_bytes(n):
    """The deterministic body /__bytes/N sends: bytes 0..250 repeated (251 is prime, so chunk
    boundaries never line up with the pattern)."""
    block = bytes(range(251))
    return (block * (n // 251 + 1))[:n]


class BadRequest(Exception):
    pass


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # Set from the command line.
    server_name_value = "echo"
    default_status = 200
    server_header = None
    quiet = False

    def setup(self):
        super().setup()
        with _connection_ids_lock:
            self.connection_id = next(_connection_ids)
        self.requests_served = 0

    # BaseHTTPRequestHandler dispatches to do_<METHOD>; every method gets the same answer.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def send_response(self, code, message=None):
        # The base class always adds "Server: BaseHTTP/x Python/y"; send one only on request.
        self.log_request(code)
        self.send_response_only(code, message)
        if self.server_header:
            self.send_header("Server", self.server_header)
        self.send_header("Date", self.date_time_string())

    def version_string(self):
        return self.server_header or ""

    def log_message(self, format, *args):
        if not self.quiet:
            sys.stderr.write("%s [%s] %s\n" % (self.server_name_value, self.log_date_time_string(),
                                                format % args))

    def _read_exact(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            raise BadRequest("body ended after %d of %d bytes" % (len(data), n))
        return data

    def _read_line(self):
        line = self.rfile.readline(65537)
        if not line.endswith(b"\n"):
            raise BadRequest("truncated chunked body")
        return line

    def _read_chunked(self):
        body = bytearray()
        while True:
            size_field = self._read_line().split(b";", 1)[0].strip()
            try:
                size = int(size_field, 16)
            except ValueError:
                raise BadRequest("bad chunk size %r" % size_field)
            if size == 0:
                while True:
                    line = self._read_line()
                    if line in (b"\r\n", b"\n"):
                        return bytes(body)
                    name, _, value = line.decode("latin-1").partition(":")
                    self.trailers.append([name.strip(), value.strip()])
            body += self._read_exact(size)
            if self._read_line() not in (b"\r\n", b"\n"):
                raise BadRequest("chunk not followed by CRLF")

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            raise BadRequest("bad Content-Length %r" % length)
        return self._read_exact(int(length))

    def _handle(self):
        self.requests_served += 1
        self.trailers = []
        if self.headers.get("Upgrade", "").lower() == "websocket" and self.command == "GET":
            self._websocket()
            return
        try:
            body = self._read_body()
        except BadRequest as error:
            self.close_connection = True
            self._send(400, json.dumps({"server": self.server_name_value,
                                        "error": str(error)}).encode(), close=True)
            return

        route = self.path.split("?", 1)[0]
        if route == "/__close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return

        if route.startswith("/__slow/") and route[len("/__slow/"):].isdigit():
            time.sleep(int(route[len("/__slow/"):]) / 1000)

        status = self.default_status
        if route.startswith("/__status/"):
            try:
                status = int(route[len("/__status/"):])
            except ValueError:
                status = 400
            if not 200 <= status <= 599:
                status = 400

        if route.startswith("/__bytes/") and route[len("/__bytes/"):].isdigit():
            self._send_pattern(int(route[len("/__bytes/"):]))
            return

        answer = {
            "server": self.server_name_value,
            "method": self.command,
            "path": self.path,
            "headers": [[name, value] for name, value in self.headers.items()],
            "body_bytes": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "trailers": self.trailers,
            "connection": self.connection_id,
            "request_on_connection": self.requests_served,
        }
        self._send(status, (json.dumps(answer, indent=1) + "\n").encode())

    def _websocket(self):
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept",
                         websocket.accept_key(self.headers.get("Sec-WebSocket-Key", "")))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        prefix = (self.server_name_value + ":").encode()
        try:
            while True:
                opcode, payload = websocket.read_frame(self.rfile)
                if opcode in (websocket.TEXT, websocket.BINARY):
                    self.wfile.write(websocket.frame(opcode, prefix + payload, masked=False))
                elif opcode == websocket.PING:
                    self.wfile.write(websocket.frame(websocket.PONG, payload, masked=False))
                elif opcode == websocket.CLOSE:
                    self.wfile.write(websocket.frame(websocket.CLOSE, payload, masked=False))
                    return
                self.wfile.flush()
        except (EOFError, OSError):
            return

    def _send(self, status, payload, close=False):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(payload)

    def _send_pattern(self, n):
        payload = pattern_bytes(n)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Echo-Body-Sha256", hashlib.sha256(payload).hexdigest())
        self.end_headers()
        if self.command == "HEAD":
            return
        for start in range(0, n, _CHUNK):
            chunk = payload[start:start + _CHUNK]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        # With ?trailer, the body ends with a trailer field.
        self.wfile.write(b"0\r\nX-Echo-Trailer: done\r\n\r\n" if "?trailer" in self.path
                         else b"0\r\n\r\n")


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError("want HOST:PORT, got %r" % text)
    return host.strip("[]"), int(port)


def _stop(signum, frame):
    raise KeyboardInterrupt  # SIGTERM ends the server as Ctrl-C does: cleanly, exit code 0


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that goes away mid-answer is ordinary for a proxy's upstream (a reset
        # stream, a cut connection): not worth a traceback. Anything else still gets one.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(description="HTTP/1.1 echo upstream for Gatehouse.")
    parser.add_argument("--listen", type=parse_listen, required=True, metavar="HOST:PORT",
                        help="address to listen on (port 0 picks a free one)")
    parser.add_argument("--name", required=True, help="reported as \"server\" in every answer")
    parser.add_argument("--server-header", nargs="?", const="echo-server", default=None,
                        metavar="VALUE", help="send a Server header (default: none)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    parser.add_argument("--status", type=int, default=200, metavar="NNN",
                        help="the status of every answer but the control paths' (default 200)")
    parser.add_argument("--tls-cert", metavar="FILE",
                        help="serve HTTPS with this PEM certificate chain (and --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    EchoHandler.server_name_value = args.name
    EchoHandler.default_status = args.status
    EchoHandler.server_header = args.server_header
    EchoHandler.quiet = args.quiet
    host, port = args.listen
    EchoServer.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        server = EchoServer((host, port), EchoHandler)
    except OSError as error:
        print("echo_server: cannot listen on %s:%d: %s" % (host, port, error.strerror),
              file=sys.stderr)
        return 1
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, _stop)
    bound = server.server_address
    print("echo_server %s listening on %s:%d" % (args.name, bound[0], bound[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
