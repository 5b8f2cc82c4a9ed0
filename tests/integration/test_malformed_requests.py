"""Malformed and ambiguous HTTP/1.1 requests through a real data plane, one table over raw
sockets: limits (414, 431, 413), request smuggling shapes (Content-Length with
Transfer-Encoding, duplicate or odd Content-Length, Transfer-Encoding other than a final chunked,
bad chunks), header syntax (obs-fold, whitespace before the colon, NUL, bare CR), request lines
(method, target form, version), Host, and CONNECT.

Each request goes on a fresh connection and carries a marker in its path (`/never-<case>`; a
request smuggled inside it uses `/smuggled-<case>`). The expected answer is checked, and that an
error answer says `Connection: close` and really closes: after a framing error nothing else on
the connection can be trusted. Once the table has run, the upstream's side is checked: the echo
server's request log, and a relay between the data plane and the echo server that keeps every
byte the data plane sent upstream, so a request forwarded only in part is caught too.

The expectations follow RFC 9110 and RFC 9112 (sections 2.2, 3, 5, 6.1, 6.3, 7.1); where the RFC
lets a server choose, the case says so and accepts each safe choice.
"""

import os
import re
import socket
import threading
import unittest

import harness
from manifests import ManifestDir, echo_world, ingress, path, rule
from test_http1_edges import RawClient

# What each case proves about the upstream.
REFUSED = "refused"         # no byte of the request reaches the upstream
REFUSED_IN_BODY = "body"    # refused while the body streams: the upstream may have seen the
                            # head, but never a complete request, and nothing smuggled
FORWARDED = "forwarded"     # a well-formed control: it must reach the upstream, which shows
                            # the checks above can fail
EITHER = "either"           # the RFC allows both: refused (as REFUSED), or accepted and
                            # forwarded re-framed with CRLF and HTTP/1.1
EITHER_IN_BODY = "either-in-body"  # accepted and forwarded, or refused once the body streams
                                   # (as REFUSED_IN_BODY)

class Case:
    """One row: `expect` is a status or a tuple of acceptable ones (None: closed without an
    answer); `build(m, s)` returns the request text (latin-1) given its marker and its smuggled
    request's marker; `close` is whether an error answer must close the connection; `body_bytes`
    is the body a forwarded request must arrive with, and `target` its request-target (/MARKER
    unless given)."""

    def __init__(self, name, expect, build, phase=REFUSED, close=True, body_bytes=None,
                 target=None):
        self.name = name
        self.expect = expect if isinstance(expect, tuple) else (expect,)
        self.phase = phase
        self.close = close
        self.body_bytes = body_bytes
        prefix = "sent-" if phase in (FORWARDED, EITHER, EITHER_IN_BODY) else "never-"
        self.marker = prefix + name
        self.smuggled_marker = "smuggled-" + name
        self.target = target or "/" + self.marker
        self.data = build(self.marker, self.smuggled_marker).encode("latin-1")


LIMIT = 1024  # "1k" in the annotations below, as ingress-nginx reads it


def request(m, fields=(), body="", method="GET", target=None, version="HTTP/1.1",
            host="echo.test"):
    """A request whose target is /M unless given; "{cl}" in a field becomes len(body)."""
    lines = ["%s %s %s" % (method, "/" + m if target is None else target, version)]
    if host is not None:
        lines.append("Host: " + host)
    lines += [field.replace("{cl}", str(len(body))) for field in fields]
    return "\r\n".join(lines) + "\r\n\r\n" + body


def post(m, fields=(), body="", **kwargs):
    return request(m, fields, body, method="POST", **kwargs)


def smuggled(s):
    return "GET /%s HTTP/1.1\r\nHost: echo.test\r\n\r\n" % s


def chunk(data):
    return "%x\r\n%s\r\n" % (len(data), data)


def chunked(*pieces):
    return "".join(chunk(piece) for piece in pieces) + "0\r\n\r\n"


TE = "Transfer-Encoding: chunked"


def te_cl(m, s):
    # The front end reads chunks, a back end trusting Content-Length stops after the size line
    # and reads the smuggled request as the next one.
    size_line = "%x\r\n" % len(smuggled(s))
    return post(m, [TE, "Content-Length: %d" % len(size_line)], chunked(smuggled(s)))


def limited(m, fields, body="", host="limited.test"):
    return post(m, fields, body, host=host)


CASES = [
    # --- limits: request target over 8 KiB, header section over 64 KiB, over 100 fields ---
    Case("target-too-long", 414, lambda m, s: request(m, target="/%s-%s" % (m, "a" * 9000))),
    Case("target-far-too-long", 414,
         lambda m, s: request(m, target="/%s-%s" % (m, "a" * 70000))),
    Case("header-value-too-large", 431, lambda m, s: request(m, ["X-Big: " + "b" * 70000])),
    Case("header-section-too-large", 431,
         lambda m, s: request(m, ["X-Big-%d: %s" % (i, "b" * 7000) for i in range(10)])),
    Case("header-fields-101", 431,
         lambda m, s: request(m, ["X-Field-%d: v" % i for i in range(100)])),
    Case("header-fields-2000", 431,
         lambda m, s: request(m, ["X-F%d: v" % i for i in range(2000)])),
    # Under the limits, not at them: the echo server (Python's http.server) itself takes at most
    # 100 fields, and the proxy adds X-Forwarded-* fields of its own.
    Case("ok-header-fields-90", 200, phase=FORWARDED,
         build=lambda m, s: request(m, ["X-Field-%d: %s" % (i, "v" * 600) for i in range(89)])),

    # --- Content-Length together with Transfer-Encoding: the CL.TE and TE.CL shapes. RFC 9112
    #     section 6.1 lets a server reject it (and the issue asks for that), section 6.3 item 3
    #     calls it an error; either way the connection must close. ---
    Case("cl-te", 400, lambda m, s: post(m, ["Content-Length: {cl}", TE],
                                         "0\r\n\r\n" + smuggled(s))),
    Case("te-cl", 400, te_cl),
    Case("cl-zero-te", 400, lambda m, s: post(m, ["Content-Length: 0", TE],
                                              chunked(smuggled(s)))),
    Case("cl-with-te-xchunked", 400, lambda m, s: post(
        m, ["Content-Length: {cl}", "Transfer-Encoding: xchunked"], "0\r\n\r\n" + smuggled(s))),

    # --- Content-Length that is not one decimal number (RFC 9112 section 6.3 item 5) ---
    Case("cl-duplicate-differs", 400, lambda m, s: post(
        m, ["Content-Length: 5", "Content-Length: 6"], "hello" + smuggled(s))),
    Case("cl-list-differs", 400, lambda m, s: post(m, ["Content-Length: 5, 6"], "hello!")),
    # RFC 9110 section 8.6: identical values MAY be taken as one, or the message refused.
    Case("cl-duplicate-same", (400, 200), phase=EITHER, body_bytes=5,
         build=lambda m, s: post(m, ["Content-Length: 5", "Content-Length: 5"], "hello")),
    Case("cl-not-a-number", 400, lambda m, s: post(m, ["Content-Length: abc"], "hello")),
    Case("cl-negative", 400, lambda m, s: post(m, ["Content-Length: -5"], "hello")),
    Case("cl-plus-sign", 400, lambda m, s: post(m, ["Content-Length: +5"], "hello")),
    Case("cl-hex", 400, lambda m, s: post(m, ["Content-Length: 0x5"], "hello")),
    Case("cl-empty", 400, lambda m, s: post(m, ["Content-Length: "], "hello")),
    Case("cl-inner-space", 400, lambda m, s: post(m, ["Content-Length: 1 0"], "helloworld")),
    # Valid digits, but past any integer: 400 for the framing, or 413 for the size.
    Case("cl-overflow", (400, 413),
         lambda m, s: post(m, ["Content-Length: 99999999999999999999999"], "hello")),

    # --- Transfer-Encoding other than a final, single chunked (RFC 9112 sections 6.1, 6.3
    #     item 4: 400 and close). An unknown coding before chunked is framed fine but cannot be
    #     honoured once the proxy re-frames the body: 501 (section 6.1, as nginx does). ---
    Case("te-gzip-only", 400, lambda m, s: post(m, ["Transfer-Encoding: gzip"], "hello")),
    Case("te-chunked-then-gzip", 400,
         lambda m, s: post(m, ["Transfer-Encoding: chunked, gzip"], chunked("hello"))),
    Case("te-xchunked", 400, lambda m, s: post(m, ["Transfer-Encoding: xchunked"],
                                               chunked("hello"))),
    Case("te-chunked-two-fields", 400,
         lambda m, s: post(m, [TE, TE], chunked(chunked(smuggled(s))))),
    Case("te-chunked-listed-twice", 400, lambda m, s: post(
        m, ["Transfer-Encoding: chunked, chunked"], chunked(chunked(smuggled(s))))),
    Case("te-chunked-then-identity-field", 400, lambda m, s: post(
        m, [TE, "Transfer-Encoding: identity"], chunked("hello"))),
    Case("te-vertical-tab", 400, lambda m, s: post(
        m, ["Content-Length: {cl}", "Transfer-Encoding: \x0bchunked"],
        "0\r\n\r\n" + smuggled(s))),
    Case("te-quoted", 400, lambda m, s: post(m, ['Transfer-Encoding: "chunked"'],
                                             chunked("hello"))),
    Case("te-gzip-then-chunked", 501,
         lambda m, s: post(m, ["Transfer-Encoding: gzip, chunked"], chunked("hello"))),
    # RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty: 400, and
    # the connection closed.
    Case("te-in-http10", 400, lambda m, s: post(m, [TE], chunked("hello"), version="HTTP/1.0")),
    Case("te-and-cl-in-http10", 400, lambda m, s: post(
        m, [TE, "Content-Length: {cl}"], chunked(smuggled(s)), version="HTTP/1.0")),
    Case("ok-te-mixed-case", 200, phase=FORWARDED, body_bytes=5,
         build=lambda m, s: post(m, ["Transfer-Encoding: ChUnKeD"], chunked("hello"))),
    # Whitespace around a field value is not part of it (RFC 9110 section 5.5).
    Case("ok-te-leading-tab", 200, phase=FORWARDED, body_bytes=5,
         build=lambda m, s: post(m, ["Transfer-Encoding:\tchunked"], chunked("hello"))),
    Case("ok-te-trailing-space", 200, phase=FORWARDED, body_bytes=5,
         build=lambda m, s: post(m, ["Transfer-Encoding: chunked "], chunked("hello"))),
    # A tab after "chunked" is whitespace around the value, but llhttp (Node.js's parser, which
    # the data plane uses) does not take it for chunked. Refused whole, before anything is sent
    # upstream, it is safe; the one thing that must not happen is forwarding it half-framed.
    Case("te-trailing-tab", (200, 400), phase=EITHER, body_bytes=5,
         build=lambda m, s: post(m, ["Transfer-Encoding: chunked\t"], chunked("hello"))),

    # --- chunked framing (RFC 9112 section 7.1): refused once the bad chunk arrives ---
    Case("chunk-size-not-hex", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "zz\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-negative", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "-5\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-overflow", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-0x-prefix", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "0x5\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-data-without-crlf", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5\r\nhelloXX0\r\n\r\n" + smuggled(s))),
    Case("chunk-data-longer-than-size", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "3\r\nhello\r\n0\r\n\r\n")),
    # Bare LF inside chunked framing: the MAY of section 2.2 covers the start line and fields
    # only, and parsers that disagree here are how "funky chunks" smuggle.
    Case("chunk-size-bare-lf", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5\nhello\r\n0\r\n\r\n")),
    Case("chunk-ext-bare-lf", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "2;x\n" + smuggled(s) + "\r\nhe\r\n0\r\n\r\n")),
    Case("chunk-ext-nul", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5;a\x00b\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-ext-unterminated-quote", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], '5;a="b\r\nhello\r\n0\r\n\r\n')),
    # Section 7.1.1: a server ought to limit chunk extensions and answer a 4xx past it.
    Case("chunk-ext-200k", (400, 413), phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5;" + "x" * 200000 + "\r\nhello\r\n0\r\n\r\n")),
    Case("trailer-not-a-field", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5\r\nhello\r\n0\r\n" + smuggled(s))),
    # Extensions a recipient MUST ignore (section 7.1.1), in token and quoted-string form.
    Case("ok-chunk-extensions", 200, phase=FORWARDED, body_bytes=11,
         build=lambda m, s: post(m, [TE], '5;name=value\r\nhello\r\n6;q="a b"\r\n world\r\n'
                                          "0\r\n\r\n")),
    # llhttp refuses the bad whitespace the grammar allows around ";" and "=" (as Node.js does);
    # it may, as long as the upstream never gets a complete request.
    Case("chunk-extension-bws", (200, 400), phase=EITHER_IN_BODY, body_bytes=5,
         build=lambda m, s: post(m, [TE], "5 ; name = value\r\nhello\r\n0\r\n\r\n")),

    # --- more of RFC 9112 sections 6 and 7: framing fields and chunks ---
    Case("te-empty", 400, lambda m, s: post(m, ["Transfer-Encoding: "], chunked("hello"))),
    Case("te-comma-only", 400, lambda m, s: post(m, ["Transfer-Encoding: ,"], chunked("hello"))),
    # Section 7: chunked takes no parameters.
    Case("te-chunked-with-parameter", 400,
         lambda m, s: post(m, ["Transfer-Encoding: chunked;q=1"], chunked("hello"))),
    # Section 6.1: identity is no transfer coding (RFC 7230 removed it); unknown before chunked.
    Case("te-identity-then-chunked", (400, 501),
         lambda m, s: post(m, ["Transfer-Encoding: identity, chunked"], chunked("hello"))),
    Case("cl-trailing-comma", 400, lambda m, s: post(m, ["Content-Length: 5,"], "hello")),
    Case("cl-leading-comma", 400, lambda m, s: post(m, ["Content-Length: ,5"], "hello")),
    Case("chunk-size-leading-space", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], " 5\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-plus-sign", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "+5\r\nhello\r\n0\r\n\r\n")),
    Case("chunk-size-missing", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "\r\nhello\r\n0\r\n\r\n")),
    # Section 7.1.2: trailer fields follow the field syntax of section 5.
    Case("trailer-obs-fold", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n")),
    Case("trailer-space-before-colon", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5\r\nhello\r\n0\r\nX-T : a\r\n\r\n")),
    Case("trailer-nul-in-value", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5\r\nhello\r\n0\r\nX-T: a\x00b\r\n\r\n")),
    Case("trailer-bare-cr", 400, phase=REFUSED_IN_BODY,
         build=lambda m, s: post(m, [TE], "5\r\nhello\r\n0\r\nX-T: a\rb\r\n\r\n")),
    # Section 7.1: chunk-size is 1*HEXDIG, leading zeros and either case included.
    Case("ok-chunk-size-leading-zeros", 200, phase=FORWARDED, body_bytes=5,
         build=lambda m, s: post(m, [TE], "0005\r\nhello\r\n000\r\n\r\n")),
    Case("ok-chunk-size-hex-letters", 200, phase=FORWARDED, body_bytes=26,
         build=lambda m, s: post(m, [TE], "a\r\n0123456789\r\n10\r\n" + "x" * 16 +
                                          "\r\n0\r\n\r\n")),

    # --- header syntax (RFC 9112 sections 2.2, 5.1, 5.2; RFC 9110 section 5.5) ---
    Case("obs-fold-space", 400, lambda m, s: request(m, ["X-Folded: a", " b"])),
    Case("obs-fold-tab", 400, lambda m, s: request(m, ["X-Folded: a", "\tb"])),
    Case("obs-fold-hides-te", 400, lambda m, s: post(
        m, ["Content-Length: {cl}", "X-Note: x", " Transfer-Encoding: chunked"],
        "0\r\n\r\n" + smuggled(s))),
    # A fold whose first line's value is empty: the folded value is the whole field.
    Case("obs-fold-empty-first-te", 400, lambda m, s: post(
        m, ["Transfer-Encoding:", " chunked"], "0\r\n\r\n" + smuggled(s))),
    Case("obs-fold-empty-first-cl", 400, lambda m, s: post(
        m, ["Content-Length:", " 5"], "hello")),
    Case("obs-fold-empty-first-host", 400, lambda m, s: request(
        m, ["Host:", " echo.test"], host=None)),
    Case("space-before-colon-te", 400, lambda m, s: post(
        m, ["Content-Length: {cl}", "Transfer-Encoding : chunked"], "0\r\n\r\n" + smuggled(s))),
    Case("tab-before-colon", 400, lambda m, s: request(m, ["X-Test\t: v"])),
    Case("space-in-name", 400, lambda m, s: request(m, ["X Test: v"])),
    Case("nul-in-value", 400, lambda m, s: request(m, ["X-Test: a\x00b"])),
    Case("del-in-value", 400, lambda m, s: request(m, ["X-Test: a\x7fb"])),
    Case("bare-cr-in-value", 400, lambda m, s: request(m, ["X-Test: a\rb"])),
    Case("bare-cr-ends-field", 400, lambda m, s: post(
        m, ["Content-Length: {cl}", "X-Test: a\rTransfer-Encoding: chunked"],
        "0\r\n\r\n" + smuggled(s))),
    Case("bare-cr-in-request-line", 400,
         lambda m, s: "GET /%s HTTP/1.1\rHost: echo.test\r\n\r\n" % m),
    Case("invalid-name-char", 400, lambda m, s: request(m, ["X(Test): v"])),
    Case("non-ascii-name", 400, lambda m, s: request(m, ["X-T\xe9st: v"])),
    Case("empty-name", 400, lambda m, s: request(m, [": v"])),
    Case("field-without-colon", 400, lambda m, s: request(m, ["X-No-Colon"])),
    # Section 2.2: a recipient MAY take a bare LF as a line terminator; then what goes upstream
    # must be re-framed with CRLF.
    Case("bare-lf-line-endings", (400, 200), phase=EITHER,
         build=lambda m, s: "GET /%s HTTP/1.1\nHost: echo.test\nX-Test: v\n\n" % m),

    # --- request line (RFC 9112 section 3; RFC 9110 section 2.5) ---
    Case("method-invalid-char", 400, lambda m, s: request(m, method="G(T")),
    Case("target-with-space", 400, lambda m, s: request(m, target="/%s x" % m)),
    Case("target-with-control-char", 400, lambda m, s: request(m, target="/%s\x01" % m)),
    Case("target-relative", 400, lambda m, s: request(m, target=m)),
    Case("target-asterisk-for-get", 400,
         lambda m, s: request(m, ["X-Marker: " + m], target="*")),
    Case("target-authority-form-for-get", 400,
         lambda m, s: request(m, ["X-Marker: " + m], target="echo.test:80")),
    # Asterisk-form is valid for OPTIONS only (section 3.2.4). An ingress may answer it itself
    # (404 as for a path no rule matches, 400 as nginx) or pass it to the host's backend, as
    # proxies forward "*" to origin servers (same section); if forwarded, then unchanged. The
    # request is well-formed, so the connection may stay open.
    Case("options-asterisk", (200, 400, 404), phase=EITHER, close=False, target="*",
         build=lambda m, s: request(m, ["X-Marker: " + m], method="OPTIONS", target="*")),
    # RFC 9110 section 2.5: a higher minor version SHOULD be processed as HTTP/1.1.
    Case("version-1-2", (200, 400, 505), phase=EITHER,
         build=lambda m, s: request(m, version="HTTP/1.2")),
    Case("version-2-0", (505, 400), lambda m, s: request(m, version="HTTP/2.0")),
    Case("version-without-minor", 400, lambda m, s: request(m, version="HTTP/1")),
    Case("version-lowercase", 400, lambda m, s: request(m, version="http/1.1")),
    Case("version-minor-two-digits", 400, lambda m, s: request(m, version="HTTP/1.10")),
    # An HTTP/0.9 request line: not HTTP/1.1, and it cannot carry a Host.
    Case("version-missing", (400, None), lambda m, s: "GET /%s\r\n\r\n" % m),
    # Almost HTTP/2's preface (the real one starts an h2c connection: test_http2).
    Case("h2-preface-mangled", (400, 505),
         lambda m, s: "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + smuggled(s)),
    Case("connect", 405, lambda m, s: request(
        m, ["X-Marker: " + m], method="CONNECT", target="echo.test:443", host="echo.test:443")),
    Case("smuggle-after-connect", 405, lambda m, s: request(
        m, ["X-Marker: " + m], method="CONNECT", target="echo.test:443",
        host="echo.test:443") + smuggled(s)),

    # --- Host (RFC 9112 section 3.2: missing, repeated or invalid in HTTP/1.1 is 400) ---
    Case("host-missing", 400, lambda m, s: request(m, host=None)),
    Case("absolute-form-without-host", 400,
         lambda m, s: request(m, target="http://echo.test/" + m, host=None)),
    Case("host-twice-same", 400, lambda m, s: request(m, ["Host: echo.test"])),
    Case("host-twice-differs", 400, lambda m, s: request(m, ["Host: other.test"])),
    Case("host-list", 400, lambda m, s: request(m, host="echo.test, other.test")),
    Case("host-port-not-a-number", 400, lambda m, s: request(m, host="echo.test:abc")),
    Case("host-with-path", 400, lambda m, s: request(m, host="echo.test/x")),
    Case("host-with-userinfo", 400, lambda m, s: request(m, host="user@echo.test")),
    Case("ok-host-with-port", 200, phase=FORWARDED,
         build=lambda m, s: request(m, host="echo.test:8080")),

    # --- body over the route's limit (proxy-body-size annotations, 1k): with Content-Length the
    #     413 comes before any of it is read or sent upstream; chunked, once the count passes the
    #     limit, and the upstream (which may have the head) never gets a complete request ---
    Case("limit-cl-1025", 413,
         lambda m, s: limited(m, ["Content-Length: {cl}"], "x" * (LIMIT + 1))),
    # Only the head is sent: the answer must not wait for a body it is going to refuse, and
    # with Expect: 100-continue the 413 comes instead of the 100 (RFC 9110 section 10.1.1).
    Case("limit-cl-over-head-only", 413,
         lambda m, s: limited(m, ["Content-Length: 4096"])),
    Case("limit-cl-over-expect-100", 413,
         lambda m, s: limited(m, ["Content-Length: 4096", "Expect: 100-continue"])),
    Case("limit-chunked-over", 413, phase=REFUSED_IN_BODY,
         build=lambda m, s: limited(m, [TE], chunked(*["x" * 512] * 4))),
    Case("limit-nginx-cl-over", 413, lambda m, s: limited(
        m, ["Content-Length: {cl}"], "x" * 2048, host="nginx-limited.test")),
    Case("limit-nginx-chunked-over", 413, phase=REFUSED_IN_BODY,
         build=lambda m, s: limited(m, [TE], chunked(*["x" * 512] * 4),
                                    host="nginx-limited.test")),
    Case("ok-limit-at-limit", 200, phase=FORWARDED, body_bytes=LIMIT,
         build=lambda m, s: limited(m, ["Content-Length: {cl}"], "x" * LIMIT)),
    Case("ok-limit-nginx-chunked-under", 200, phase=FORWARDED, body_bytes=1000,
         build=lambda m, s: limited(m, [TE], chunked("x" * 500, "x" * 500),
                                    host="nginx-limited.test")),
    Case("ok-plain-get", 200, phase=FORWARDED, body_bytes=0, build=lambda m, s: request(m)),
]

ANSWER_TIMEOUT = 5.0


class RecordingRelay:
    """A TCP relay from the data plane to the echo server that keeps every byte the data plane
    sent upstream, per connection. The echo server's log shows only the request lines it
    answered; this shows any part of a request that got through."""

    def __init__(self, upstream_port):
        self.host = "127.0.0.1"
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server((self.host, 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sent_upstream = []  # a bytearray per connection
        self._sockets = []
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    def _accept(self):
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(self._upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                downstream.close()
                continue
            record = bytearray()
            running = [2]
            with self._lock:
                self._sent_upstream.append(record)
                self._sockets += [downstream, upstream]
            for source, sink, kept in ((downstream, upstream, record),
                                       (upstream, downstream, None)):
                threading.Thread(target=self._pump, args=(source, sink, kept, running),
                                 name="relay-pump", daemon=True).start()

    def _pump(self, source, sink, record, running):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if record is not None:
                    with self._lock:
                        record += data
                sink.sendall(data)
        except OSError:
            pass  # a reset on either side ends this direction like a close
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        with self._lock:
            running[0] -= 1
            last = running[0] == 0
        if last:
            source.close()
            sink.close()

    def sent_upstream(self):
        """What the data plane sent on each upstream connection so far."""
        with self._lock:
            return [bytes(record) for record in self._sent_upstream]

    def close(self):
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class UpstreamRequest:
    """One request as the data plane sent it upstream."""

    def __init__(self, line, head, complete, body_bytes=0):
        self.line = line              # the request line
        self.head = head              # the request line and fields, up to the blank line
        self.complete = complete      # whether its whole body followed
        self.body_bytes = body_bytes  # how much body it declared and sent


def upstream_requests(stream):
    """Splits what the data plane sent on one upstream connection into requests, by the framing
    it declared (Content-Length or chunked). Stops at the first incomplete one: nothing may
    follow it on that connection."""
    requests, pos = [], 0
    while pos < len(stream):
        end = stream.find(b"\r\n\r\n", pos)
        if end < 0:
            requests.append(UpstreamRequest(stream[pos:].split(b"\r\n")[0], stream[pos:], False))
            break
        head = stream[pos:end + 4]
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip().lower()
        pos, complete, body_bytes = end + 4, True, 0
        if fields.get(b"transfer-encoding") == b"chunked":
            complete = False
            while True:
                size_end = stream.find(b"\r\n", pos)
                try:
                    size = int(stream[pos:size_end].split(b";")[0], 16) if size_end >= 0 else -1
                except ValueError:
                    size = -1
                if size < 0:
                    break
                if size == 0:
                    trailers_end = stream.find(b"\r\n\r\n", size_end)
                    if trailers_end >= 0:
                        pos, complete = trailers_end + 4, True
                    break
                pos = size_end + 2 + size + 2
                body_bytes += size
                if pos > len(stream):
                    break
        elif b"content-length" in fields:
            body_bytes = int(fields[b"content-length"])
            pos += body_bytes
            complete = pos <= len(stream)
        requests.append(UpstreamRequest(head.split(b"\r\n")[0], head, complete, body_bytes))
        if not complete:
            break
    return requests


def excerpt(stream, marker):
    """The line holding `marker` and what follows it, for a failure message."""
    at = stream.find(marker)
    start = max(stream.rfind(b"\n", 0, at) + 1, at - 60)
    return stream[start:start + 300]


class Outcome:
    """What came back for one raw request."""

    def __init__(self):
        self.status = None      # None: closed without an answer (or `error`)
        self.headers = {}
        self.body = b""
        self.error = None       # no answer in time
        self.closed = None      # whether the data plane closed the connection after answering
        self.after = b""        # bytes after the answer: a second response would be a smuggle

    def __str__(self):
        if self.error:
            return self.error
        if self.status is None:
            return "closed without an answer"
        text = "%d (Connection: %s)" % (self.status, self.headers.get("connection", "-"))
        if self.closed is False:
            text += ", connection left open"
        if self.after:
            text += ", then %r" % self.after[:120]
        return text


def body_of(client, status, headers):
    if status in (204, 304):
        return b""
    if "content-length" in headers:
        return client.file.read(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(client.file.readline().split(b";")[0], 16)
            if size == 0:
                client.file.readline()
                return body
            body += client.file.read(size)
            client.file.readline()
    return client.file.read()


def exchange(port, data, linger_after_error, linger_after_success):
    """Sends `data` on a new connection and reads one answer; then keeps reading for up to
    `linger_after_error` (an error answer) or `linger_after_success` seconds, to see whether the
    data plane closes the connection and whether anything follows the answer."""
    outcome = Outcome()
    client = RawClient(port)
    try:
        client.sock.settimeout(ANSWER_TIMEOUT)
        try:
            client.send(data)
        except OSError:
            pass  # refused before it took everything: its answer may still be waiting
        try:
            status, headers = client.read_head()
        except socket.timeout:
            outcome.error = "no answer within %.0fs" % ANSWER_TIMEOUT
            return outcome
        except OSError:
            status, headers = None, {}
        if status is None:
            outcome.closed = True
            return outcome
        outcome.status, outcome.headers = status, headers
        if status < 200:
            return outcome  # an interim answer (100 Continue) where a final one was due
        outcome.body = body_of(client, status, headers)
        linger = linger_after_error if status >= 400 else linger_after_success
        if linger:
            client.sock.settimeout(linger)
            try:
                outcome.after = client.file.read()
                outcome.closed = True
            except socket.timeout:
                outcome.closed = False
            except OSError:
                outcome.closed = True
        return outcome
    finally:
        client.close()


def body_limited_ingress(name, host, annotation):
    limited_ingress = ingress(name, rules=[rule(host, path("/", "Prefix", "echo"))])
    limited_ingress["metadata"]["annotations"] = {annotation: "1k"}
    return limited_ingress


class MalformedRequestsTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")
            cls.relay = RecordingRelay(cls.echo.port)
            cls.addClassCleanup(cls.relay.close)
            manifests = ManifestDir(os.path.join(cls.class_dir, "manifests"))
            manifests.write_world({"world.yaml": [
                *echo_world(cls.relay),  # Service "echo" points at the relay
                body_limited_ingress("limited", "limited.test", "gatehouse.dev/proxy-body-size"),
                body_limited_ingress("nginx-limited", "nginx-limited.test",
                                     "nginx.ingress.kubernetes.io/proxy-body-size"),
            ]})
            controlplane = harness.ControlPlane(cls.class_group, manifests.path)
            controlplane.wait_ready()
            # One worker, so one upstream pool: the one each case's warm-up request leaves an idle
            # connection in.
            cls.dataplane = harness.DataPlane(cls.class_group, controlplane.xds_address,
                                              "dataplane", workers=1)
            cls.dataplane.wait_ready()
            for host in ("echo.test", "limited.test", "nginx-limited.test"):
                harness.wait_until(lambda host=host: cls.dataplane.routed_to(host) == "echo",
                                   harness.START_TIMEOUT, "%s to route to the echo server" % host,
                                   [cls.dataplane.process])

    def test_table(self):
        markers = [m for case in CASES for m in (case.marker, case.smuggled_marker)]
        clashes = [(a, b) for a in markers for b in markers if a != b and a in b]
        self.assertEqual(clashes, [], "a marker inside another would hide a forwarded request")
        self.assertGreaterEqual(sum(case.phase != FORWARDED for case in CASES), 35)

        outcomes = {}
        for case in CASES:
            self.leave_an_idle_upstream_connection()
            with self.subTest(case.name):
                # After a refusal, wait for the close; after a success where a refusal was due,
                # look briefly for a second answer (a smuggled request's).
                outcome = exchange(self.dataplane.http, case.data,
                                   ANSWER_TIMEOUT if case.close else 1.0,
                                   1.0 if 200 not in case.expect else 0)
                outcomes[case.name] = outcome
                self.check_answer(case, outcome)

        # Something answered through the upstream after the table: whatever the data plane wrote
        # upstream for the cases is there by now.
        barrier = "/after-the-table"
        self.assertEqual(self.dataplane.get("echo.test", barrier).status, 200)
        harness.wait_until(lambda: barrier in self.echo.process.log(), 10,
                           "the echo server to log " + barrier)
        sent_upstream = self.relay.sent_upstream()
        echo_log = self.echo.process.log()
        for case in CASES:
            with self.subTest(case.name, check="upstream"):
                self.check_upstream(case, outcomes[case.name], sent_upstream, echo_log)

        # A request aborted mid-body must not leave its upstream connection in the pool, or the
        # next request would be read as the rest of that body.
        for i in range(5):
            with self.subTest("pool after the table", request=i):
                response = self.dataplane.get("echo.test", "/pool-check-%d" % i)
                self.assertEqual(response.status, 200)
                self.assertEqual(response.json()["path"], "/pool-check-%d" % i)
                self.assertEqual(response.json()["body_bytes"], 0)

    def leave_an_idle_upstream_connection(self):
        """Answers a request through the upstream, leaving its connection idle in the pool: a
        request the data plane forwards before it refuses it is then written upstream at once,
        rather than racing a new connection's set-up, so the checks below see it every time."""
        client = RawClient(self.dataplane.http)
        try:
            client.send(request("warm-up").encode())
            status, _, _ = client.read_response()
        finally:
            client.close()
        self.assertEqual(status, 200, "the upstream does not answer")

    def check_answer(self, case, outcome):
        self.assertIsNone(outcome.error, "expected %s, got %s" % (
            " or ".join(map(str, case.expect)), outcome))
        self.assertIn(outcome.status, case.expect,
                      "expected %s, got %s" % (" or ".join(map(str, case.expect)), outcome))
        if outcome.status is None:
            self.assertTrue(outcome.closed, "no answer and the connection was left open")
            return
        if outcome.status >= 400 and case.close:
            self.assertEqual(outcome.headers.get("connection", "").lower(), "close",
                             "the refusal does not say Connection: close")
            self.assertTrue(outcome.closed, "the connection stayed open after the refusal")
        self.assertEqual(outcome.after, b"", "bytes after the answer: %s" % outcome)
        if outcome.status == 200:
            answer = harness.Response(200, [], outcome.body).json()
            self.assertEqual(answer["path"], case.target)
            if case.body_bytes is not None:
                self.assertEqual(answer["body_bytes"], case.body_bytes)

    def check_upstream(self, case, outcome, sent_upstream, echo_log):
        marker = case.marker.encode()
        requests = [r for stream in sent_upstream for r in upstream_requests(stream)]
        answered = [int(status) for status in
                    re.findall(r'"[^"\n]*%s[^"\n]*" (\d{3}) ' % re.escape(case.marker), echo_log)]

        smuggled_marker = case.smuggled_marker.encode()
        if any(smuggled_marker in r.line for r in requests):
            self.fail("the smuggled request reached the upstream as a request: %r" % [
                excerpt(stream, smuggled_marker) for stream in sent_upstream
                if smuggled_marker in stream][0])
        self.assertNotIn(case.smuggled_marker, echo_log,
                         "the upstream answered the smuggled request")

        accepted = case.phase == FORWARDED or (
            case.phase in (EITHER, EITHER_IN_BODY) and outcome.status == 200)
        if accepted:
            mine = [r for r in requests if marker in r.head and r.complete]
            self.assertEqual(len(mine), 1, "expected it upstream once, complete: %r"
                             % [(r.line, r.complete) for r in requests if marker in r.head])
            self.assertEqual(mine[0].line.split(b" ")[1:], [case.target.encode(), b"HTTP/1.1"])
            self.assertIsNone(re.search(rb"[^\r]\n|\r[^\n]", mine[0].head),
                              "forwarded with a bare LF or CR: %r" % mine[0].head[:400])
            if case.body_bytes is not None:
                self.assertEqual(mine[0].body_bytes, case.body_bytes,
                                 "forwarded with another body: %r" % mine[0].head)
            if case.marker in case.target:
                self.assertIn(200, answered, "the echo server's log has no answer to it")
        elif case.phase in (REFUSED_IN_BODY, EITHER_IN_BODY):
            complete = [r.line for r in requests if marker in r.line and r.complete]
            self.assertEqual(complete, [], "the upstream received the whole request")
            self.assertEqual([status for status in answered if status < 400], [],
                             "the upstream answered the whole request")
        else:
            seen = [excerpt(stream, marker) for stream in sent_upstream if marker in stream]
            if seen:
                self.fail("it reached the upstream%s: %r" % (
                    ", which answered %s" % answered if answered else "", seen[0]))
            self.assertEqual(answered, [], "the upstream answered it")


if __name__ == "__main__":
    unittest.main()
