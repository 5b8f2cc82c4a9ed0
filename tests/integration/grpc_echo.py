#!/usr/bin/env python3
"""A gRPC upstream for the tests, on python3-grpcio without generated code (messages are raw
bytes). Service echo.Echo:

    Unary(bytes) -> b"unary:" + bytes, with the request's metadata as trailing metadata
                    ("x-seen-<name>": value), so a test sees what the proxy forwarded
    Chat(stream bytes) -> stream b"chat:" + each message, answered one by one as they come
    Fail(bytes) -> status NOT_FOUND, details "no such thing" (a trailers-only response)

    python3 grpc_echo.py --listen 127.0.0.1:PORT [--tls-cert FILE --tls-key FILE]
"""

import argparse
import signal
import sys
import threading
from concurrent import futures

import grpc


def unary(request, context):
    seen = tuple(("x-seen-" + key, value) for key, value in context.invocation_metadata()
                 if not key.endswith("-bin"))
    context.set_trailing_metadata(seen)
    return b"unary:" + request


def chat(requests, context):
    for message in requests:
        yield b"chat:" + message


def fail(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, metavar="HOST:PORT")
    parser.add_argument("--tls-cert", metavar="FILE")
    parser.add_argument("--tls-key", metavar="FILE")
    args = parser.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("echo.Echo", handlers),))
    if args.tls_cert:
        with open(args.tls_cert, "rb") as f:
            chain = f.read()
        with open(args.tls_key, "rb") as f:
            key = f.read()
        bound = server.add_secure_port(args.listen, grpc.ssl_server_credentials([(key, chain)]))
    else:
        bound = server.add_insecure_port(args.listen)
    if bound == 0:
        print("grpc_echo: cannot listen on %s" % args.listen, file=sys.stderr)
        return 1
    server.start()
    print("grpc_echo listening on %s" % args.listen, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
