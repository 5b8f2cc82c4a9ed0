#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into corpus/TARGET/seed-*: small valid (and a few
invalid) inputs that start the fuzzer deep in each parser. Run from anywhere with Debian's
python3 (python3-h2 brings hpack and hyperframe); crash inputs found later are added beside the
seeds as crash-* files and are not rewritten here.

An input of a wire target starts with its settings byte (fuzz_input.h): low four bits the mode,
high four the piece size (0x00: one byte at a time, 0x80: 64 bytes, 0xf0: 64 KiB)."""

import os
import pathlib

import hpack
from hyperframe import frame as h2

HERE = pathlib.Path(__file__).resolve().parent
PREFACE_SETTINGS = h2.SettingsFrame(0, settings={h2.SettingsFrame.INITIAL_WINDOW_SIZE: 65535})


def write(target, seeds):
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    for index, seed in enumerate(seeds):
        (folder / ("seed-%02d" % index)).write_bytes(seed)


def http1_server():
    requests = [
        b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n",
        b"POST /up HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\nhello",
        b"POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n",
        b"GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n"
        b"HEAD /3 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
        b"GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nframes",
        b"PUT /x HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        b"GET http://a.test/abs?q=1 HTTP/1.1\r\nHost: a.test\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: host, keep-alive\r\n\r\n",
    ]
    seeds = []
    for index, request in enumerate(requests):
        settings = [0x80, 0x00, 0x31, 0xd2, 0x84, 0x5b][index % 6]
        seeds.append(bytes([settings]) + request)
    write("http1_server", seeds)


def http1_client():
    responses = [
        (0x80, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        (0x82, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
               b"5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n"),
        (0x00, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
        (0x83, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               b"\r\ntunnel bytes"),
        (0x81, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
        (0x40, b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"),
        (0x80, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"),
        (0x30, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"
               b"Content-Length: 3\r\n\r\nyes"),
        (0x86, b"HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    ]
    write("http1_client", [bytes([settings]) + wire for settings, wire in responses])


def frames(*items):
    return b"".join(item.serialize() for item in items)


def headers(stream_id, fields, encoder, end_stream=False):
    frame = h2.HeadersFrame(stream_id, encoder.encode(fields))
    frame.flags.add("END_HEADERS")
    if end_stream:
        frame.flags.add("END_STREAM")
    return frame


def data(stream_id, payload, end_stream=False):
    frame = h2.DataFrame(stream_id, payload)
    if end_stream:
        frame.flags.add("END_STREAM")
    return frame


def settings_ack():
    frame = h2.SettingsFrame(0)
    frame.flags.add("ACK")
    return frame


def http2_server():
    request = [(":method", "GET"), (":scheme", "https"), (":authority", "a.test"), (":path", "/")]
    post = [(":method", "POST"), (":scheme", "https"), (":authority", "a.test"),
            (":path", "/up"), ("content-length", "5")]
    seeds = []
    encoder = hpack.Encoder()
    seeds.append(bytes([0x80]) + frames(PREFACE_SETTINGS, headers(1, request, encoder, True)))
    encoder = hpack.Encoder()
    seeds.append(bytes([0x82]) + frames(
        PREFACE_SETTINGS, settings_ack(), headers(1, post, encoder), data(1, b"hello", True),
        headers(3, request, encoder, True), h2.WindowUpdateFrame(0, 1 << 20),
        h2.WindowUpdateFrame(1, 1 << 20)))
    encoder = hpack.Encoder()
    seeds.append(bytes([0x0e]) + frames(
        h2.SettingsFrame(0, settings={h2.SettingsFrame.INITIAL_WINDOW_SIZE: 0}),
        headers(1, request, encoder, True), h2.PingFrame(0, b"12345678"),
        h2.RstStreamFrame(1, 8), headers(3, request + [("te", "trailers")], encoder, True),
        h2.GoAwayFrame(0, 3, 0)))
    encoder = hpack.Encoder()
    grpc = [(":method", "POST"), (":scheme", "http"), (":authority", "a.test"),
            (":path", "/pkg.Svc/Call"), ("content-type", "application/grpc"), ("te", "trailers")]
    seeds.append(bytes([0xc5]) + frames(
        PREFACE_SETTINGS, headers(1, grpc, encoder), data(1, b"\0\0\0\0\0"),
        headers(1, [("x-end", "1")], encoder, True)))
    encoder = hpack.Encoder()
    bad = [(":path", "/"), (":method", "GET"), (":scheme", "https"), (":authority", "a.test"),
           (":path", "/again"), ("connection", "close"), ("Upper", "x")]
    seeds.append(bytes([0x30]) + frames(PREFACE_SETTINGS, headers(1, bad, encoder, True)))
    encoder = hpack.Encoder()
    continued = h2.HeadersFrame(1, encoder.encode(request[:2]))
    rest = h2.ContinuationFrame(1, encoder.encode(request[2:]))
    rest.flags.add("END_HEADERS")
    continued.flags.add("END_STREAM")
    seeds.append(bytes([0x81]) + frames(PREFACE_SETTINGS, continued, rest))
    write("http2_server", seeds)


def http2_client():
    seeds = []
    encoder = hpack.Encoder()
    seeds.append(bytes([0x80]) + frames(
        h2.SettingsFrame(0), settings_ack(), headers(1, [(":status", "200")], encoder, True)))
    encoder = hpack.Encoder()
    seeds.append(bytes([0x84]) + frames(
        h2.SettingsFrame(0, settings={h2.SettingsFrame.MAX_CONCURRENT_STREAMS: 2}),
        settings_ack(), h2.WindowUpdateFrame(0, 1 << 20), h2.WindowUpdateFrame(3, 1 << 20),
        headers(3, [(":status", "201"), ("content-length", "2")], encoder), data(3, b"ok", True),
        headers(5, [(":status", "200"), ("content-type", "application/grpc")], encoder),
        data(5, b"\0\0\0\0\0"), headers(5, [("grpc-status", "0")], encoder, True)))
    encoder = hpack.Encoder()
    seeds.append(bytes([0x32]) + frames(
        h2.SettingsFrame(0), headers(1, [(":status", "100")], encoder),
        headers(1, [(":status", "200")], encoder), data(1, b"x" * 100),
        h2.RstStreamFrame(3, 7), h2.PingFrame(0, b"abcdefgh"), h2.GoAwayFrame(0, 1, 0)))
    encoder = hpack.Encoder()
    seeds.append(bytes([0x00]) + frames(
        h2.SettingsFrame(0), h2.PushPromiseFrame(1, 2, encoder.encode([(":method", "GET")])),
        headers(1, [(":status", "999"), ("Connection", "x")], encoder, True)))
    write("http2_client", seeds)


def manifest():
    examples = HERE.parent.parent / "deploy" / "examples"
    seeds = [path.read_bytes() for path in sorted(examples.glob("*.yaml"))]
    seeds.append(b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n"
                 b"  kind: Ingress\n  metadata: {name: a, namespace: b, annotations: {x: y}}\n"
                 b"  spec: {rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix,"
                 b" backend: {service: {name: s, port: {number: 80}}}}]}}]}\n"
                 b"---\nkind: EndpointSlice\napiVersion: discovery.k8s.io/v1\n"
                 b"metadata: {name: s-1, namespace: b, labels: {kubernetes.io/service-name: s}}\n"
                 b"addressType: IPv4\nendpoints: [{addresses: [10.0.0.1], conditions:"
                 b" {ready: true}}]\nports: [{port: 8080, name: http}]\n---\n: bad\n  - [\n")
    write("manifest", seeds)


def annotations():
    write("annotations", [
        b"proxy-body-size=8m\nssl-redirect=false\nuse-regex=true",
        b"affinity=cookie\nsession-cookie-name=route\nsession-cookie-max-age=3600\n"
        b"session-cookie-path=/app",
        b"upstream-hash-by=$remote_addr\nload-balance=ewma",
        b"backend-protocol=GRPCS\nproxy-ssl-verify=on\nproxy-ssl-secret=default/ca\n"
        b"proxy-ssl-name=api.internal",
        b"gatehouse.dev/proxy-body-size=1g\nproxy-body-size=0\nupstream-hash-by=$http_x_user",
        b"proxy-body-size=99999999999999999999k\nsession-cookie-name=a\r\nSet-Cookie: b",
        b"auth-url=http://auth:80/check\nauth-cache-key=$remote_user${http_x}a$cookie_s\n"
        b"auth-cache-duration=200 202 10m, 401 1h 30m 5ms, 5m\n"
        b"auth-tls-secret=ca\nauth-tls-match-cn=CN=(a|b)",
    ])


def route_table():
    write("route_table", [
        b"h a.test\np /\ne /exact\nr /api/v[0-9]+/.*\na.test /api/v2/x\na.test:8080 /exact\n"
        b"b.test /",
        b"h *.wild.test\ns /static\nd\nx.wild.test /static/app.js\nwild.test /",
        b"h *\nr (?i)/CaSe(/|$)(.*)\nanything /case/x",
        b"h a.test\nr ((a|b|c|d|e|f|g|h|i|j)+)+$\na.test /" + b"a" * 2000 + b"!",
        b"h A.TEST\np relative\nr [unclosed\nh \na.test /",
    ])


def translate_validate():
    write("translate_validate", [
        b"n:default/web\nh:a.test\np:Prefix /\np:Exact /exact\nt:good a.test\nd:",
        b"n:default/re\na:use-regex=true\nh:re.test\np:ImplementationSpecific /api/v[0-9]+/.*\n"
        b"p:ImplementationSpecific /(x|[a-z]{40})\np:ImplementationSpecific /[unclosed",
        b"n:default/lb\na:affinity=cookie\na:session-cookie-name=a\r\nX: 1\n"
        b"a:upstream-hash-by=$http_x\x00y\nh:lb.test\np:Prefix /",
        b"n:other/tls\nh:a.test\np:Prefix /other\nt:weak a.test\nt:mismatched b.test\n"
        b"n:default/tls\nh:b.test\np:Prefix /\nt:good b.test *.b.test",
        b"n:default/up\na:backend-protocol=HTTPS\na:proxy-ssl-verify=on\n"
        b"a:proxy-ssl-secret=default/ca\na:proxy-ssl-name=web.default.svc\nh:up.test\n"
        b"p:Prefix /\nn:other/up\na:backend-protocol=GRPCS\na:proxy-ssl-secret=default/ca\n"
        b"a:proxy-ssl-verify=on\nh:up2.test\np:Prefix /",
        b"n:default/size\na:proxy-body-size=8m\na:ssl-redirect=false\nh:*.w.test\n"
        b"p:Prefix /\nh:\np:Prefix /x",
        b"n:default/redirect\na:permanent-redirect=https://new.test$request_uri\n"
        b"a:permanent-redirect-code=308\na:temporal-redirect=http://t.test/$uri?$args\n"
        b"a:app-root=/app\na:force-ssl-redirect=true\na:from-to-www-redirect=true\n"
        b"h:www.r.test\np:Prefix /\nn:other/twin\nh:r.test\np:Exact /x",
        b"n:default/rewrite\na:rewrite-target=/$2?\nh:rw.test\n"
        b"p:ImplementationSpecific /something(/|$)(.*)\np:Prefix /app\n"
        b"a:x-forwarded-prefix=/something\na:upstream-vhost=backend.internal:8080",
        b"n:default/headers\na:gatehouse.dev/request-headers=X-Env: prod\n"
        b"a:gatehouse.dev/response-headers={X-Frame-Options: DENY, Cache-Control: no-store}\n"
        b"a:configuration-snippet=more_set_headers 'X: 1';\nh:hd.test\np:Prefix /",
        b"n:default/alias\na:server-alias=al.test, hd.test, *.al.test\nh:main.test\n"
        b"p:Prefix /\nn:other/late\na:server-alias=al.test\na:from-to-www-redirect=true\n"
        b"h:al2.test\np:Prefix /\nn:default/www\nh:www.al.test\np:Prefix /",
        b"n:default/main\na:load-balance=ewma\na:proxy-next-upstream=error http_502 non_idempotent\n"
        b"a:proxy-next-upstream-tries=2\na:proxy-read-timeout=5\na:custom-http-errors=404,503\n"
        b"a:default-backend=web\nh:c.test\np:Prefix /\np:ImplementationSpecific /v[0-9]+\n"
        b"n:default/canary\na:canary=true\na:canary-by-header=X-Canary\n"
        b"a:canary-by-header-pattern=^v2\\.[0-9]+$\na:canary-by-cookie=beta\n"
        b"a:canary-weight=30\na:canary-weight-total=1000\na:service-upstream=true\n"
        b"h:c.test\np:Prefix /\np:ImplementationSpecific /v[0-9]+",
        b"n:default/ranges\na:allowlist-source-range=10.0.0.0/8, ::1,192.168.0.1\n"
        b"a:denylist-source-range=10.6.0.0/16\nh:ip.test\np:Prefix /\n"
        b"n:default/broken\na:whitelist-source-range=10.0.0.0/33\nh:ip2.test\np:Prefix /",
        b"n:default/cors\na:enable-cors=true\na:cors-allow-origin=https://a.test, http://*.b.test:8080\n"
        b"a:cors-expose-headers=X-A\na:cors-max-age=60\na:limit-rps=5\na:limit-rpm=100\n"
        b"a:limit-connections=3\na:limit-burst-multiplier=2\na:limit-allowlist=10.0.0.0/8\n"
        b"h:cors.test\np:Prefix /",
        b"n:default/mtls\na:auth-tls-secret=default/ca\na:auth-tls-verify-client=optional_no_ca\n"
        b"a:auth-tls-verify-depth=3\na:auth-tls-error-page=https://e.test/x\n"
        b"a:auth-tls-pass-certificate-to-upstream=true\na:server-alias=m2.test\nh:m.test\n"
        b"p:Prefix /\nt:good m.test\nn:other/mtls\na:auth-tls-secret=weak\nh:m.test\n"
        b"p:Prefix /o\nn:default/bad\na:auth-tls-secret=nothing\nh:b.test\np:Prefix /\nh:\n"
        b"p:Prefix /\nn:default/wk\na:auth-tls-secret=weak\nh:*.wk.test\np:Prefix /",
        b"n:default/cn\na:auth-tls-secret=default/ca\na:auth-tls-match-cn=CN=(a|b)(,|$)\n"
        b"h:cn.test\np:Prefix /\nn:default/cn2\na:auth-tls-secret=default/ca\n"
        b"a:auth-tls-match-cn=CN=a{1000}\nh:cn2.test\np:Prefix /\n"
        b"n:default/cache\na:auth-url=http://web:80/auth\n"
        b"a:auth-cache-key=$remote_user$http_authorization${host}x\n"
        b"a:auth-cache-duration=200 202 10m, 401 1h 30m, 5m\nh:ac.test\np:Prefix /\n"
        b"n:default/cache2\na:auth-url=http://web:80/auth\na:auth-cache-key=$nope\n"
        b"a:auth-cache-duration=5m 200\nh:ac2.test\np:Prefix /",
    ])


def client_hello():
    """ClientHellos as Python's ssl module (OpenSSL) writes them, with and without a server name,
    one split across two records, and a plain HTTP request."""
    import ssl
    hellos = []
    for name in ("passthrough.test", None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        connection = context.wrap_bio(incoming, outgoing, server_hostname=name)
        try:
            connection.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hellos.append(outgoing.read())
    message = hellos[0][5:]
    half = len(message) // 2
    split = b"".join(b"\x16\x03\x01" + len(part).to_bytes(2, "big") + part
                     for part in (message[:half], message[half:]))
    write("client_hello", hellos + [split, b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"])


def proxy_protocol():
    """PROXY headers of both versions, each followed by a request's first bytes."""
    import struct
    signature = b"\r\n\r\n\x00\r\nQUIT\n"
    v4 = bytes([203, 0, 113, 9, 10, 0, 0, 1]) + struct.pack("!HH", 56324, 443)
    v6 = bytes(15) + b"\x01" + bytes(15) + b"\x02" + struct.pack("!HH", 1, 2)
    write("proxy_protocol", [
        b"PROXY TCP4 203.0.113.9 10.0.0.1 56324 443\r\nGET / HTTP/1.1\r\n",
        b"PROXY TCP6 2001:db8::9 2001:db8::1 1 80\r\n\x16\x03\x01",
        b"PROXY UNKNOWN\r\n",
        signature + b"\x21\x11" + struct.pack("!H", len(v4)) + v4 + b"GET",
        signature + b"\x21\x21" + struct.pack("!H", len(v6) + 6) + v6 + b"\x04\x00\x03abc",
        signature + b"\x20\x00\x00\x00",
    ])


def htpasswd():
    """htpasswd files: each hash htpasswd makes, comments, and lines it would refuse."""
    write("htpasswd", [
        b"# made by htpasswd\nalice:$apr1$Xy9sQ3ab$staTRWA/PZZOAPU1NcraH.\n",
        b"bob:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=\r\ncarol:$2y$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfm"
        b"MXDDhSFPIvxV7t8.\n",
        b"dave:$5$saltsaltsalt$g1jS0B6yOBBZqrJEhPEM5XNnoxWIh2QfY2N0iDi9s73\nerin:$6$rounds=999999$s$x\n",
        b"old:abJnggxhB/yWI\nplain:secret\nnocolon\n:empty\nfoo:$apr1$\n",
    ])


if __name__ == "__main__":
    os.umask(0o022)
    http1_server()
    http1_client()
    http2_server()
    http2_client()
    manifest()
    annotations()
    route_table()
    translate_validate()
    client_hello()
    proxy_protocol()
    htpasswd()
