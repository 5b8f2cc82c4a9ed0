#!/usr/bin/env python3
"""Full TLS handshakes per second against one server name: CLIENTS processes, each connecting
again and again for SECONDS, each connection a full handshake (no session is resumed), with a
client certificate when given, then one HTTP/1.1 request whose answer must be 200 (so the
server has checked the certificate before the connection counts).

    python3 tests/bench/handshakes.py --connect 127.0.0.1:PORT --servername NAME \\
        [--cert FILE --key FILE] [--clients 4] [--seconds 8]

Prints the handshakes per second and the connections that failed. openssl s_time would do, but
the one in Debian 12 sends no server name, and client certificates are asked for by name.
"""

import argparse
import multiprocessing
import socket
import ssl
import time


def client(args, deadline, results):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    host, port = args.connect.rsplit(":", 1)
    request = ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % args.servername).encode()
    done = failed = 0
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname=args.servername) as tls:
                    tls.sendall(request)
                    answer = b""
                    while True:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        answer += chunk
            if answer.startswith(b"HTTP/1.1 200"):
                done += 1
            else:
                failed += 1
        except (OSError, ssl.SSLError):
            failed += 1
    results.put((done, failed))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", required=True)
    parser.add_argument("--servername", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    results = multiprocessing.Queue()
    start = time.monotonic()
    deadline = start + args.seconds
    workers = [multiprocessing.Process(target=client, args=(args, deadline, results))
               for _ in range(args.clients)]
    for worker in workers:
        worker.start()
    done = failed = 0
    for _ in workers:
        d, f = results.get()
        done += d
        failed += f
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - start
    print("%.0f %d" % (done / elapsed, failed))


if __name__ == "__main__":
    main()
