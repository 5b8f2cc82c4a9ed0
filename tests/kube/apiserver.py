#!/usr/bin/env python3
"""A Kubernetes API server for tests: in memory, HTTPS only, speaking the real wire protocol.

It serves the kinds an ingress controller reads and writes (Ingress, IngressClass, Service,
Endpoints, EndpointSlice, Secret, Namespace, Lease, Event in core v1 and events.k8s.io/v1) with the
real URLs, JSON shapes, list/watch semantics and errors, well enough for `kubectl` and for a
controller that talks to the API directly. It is a test fixture, not a cluster: there is no
admission, no RBAC, no controllers (nothing creates EndpointSlices for Services), and objects live
in memory (optionally persisted to a state file).

Run it:

    python3 tests/kube/apiserver.py --listen 127.0.0.1:6443 --cert-dir DIR --token-file FILE \\
        [--state FILE] [--compact-keep N] [--bookmark-interval S] [--token-grace S]

- TLS: if DIR lacks ca.crt, server.crt and server.key, they are made with the openssl command (a CA
  and a server certificate for 127.0.0.1, ::1, localhost and the --listen host). Clients trust
  DIR/ca.crt.
- Authentication: every request needs `Authorization: Bearer <token>`, where the token is the
  content of FILE (stripped), read again on every request, so a test rotates it by rewriting the
  file. After a rotation the previous token still works for --token-grace seconds (default 0).
  Anything else gets 401 with a Status body.
- When ready it prints one line, `apiserver listening on HOST:PORT`, to stderr (port 0 in --listen
  picks a free port, and the line tells which). Every request is then logged to stderr.
- With --state FILE all objects and the resourceVersion counter are written to FILE on every
  change and read back at start, so a test can kill and restart the server. The change history is
  not kept: a watch or exact list from an RV older than the restart gets 410 Expired (and clients
  relist), which is also what a real API server does when it restarts with an empty watch cache.

API behaviour (see kube_rest.py for writes, kube_store.py for history and persistence):

- Discovery: /version, /api, /api/v1, /apis, /apis/GROUP, /apis/GROUP/VERSION, /healthz, /livez,
  /readyz. /openapi/v2 answers an empty but valid document (in protobuf, which kubectl asks for),
  so kubectl's client-side validation finds no schema and validates nothing; /openapi/v3 is 404,
  which kubectl takes as "fall back to v2".
- list: `kind: <Kind>List`, `metadata.resourceVersion`, items without kind/apiVersion;
  `limit`/`continue` pagination over a consistent snapshot at the list's RV (opaque token;
  `remainingItemCount` when no selector is used; a token older than the history is 410 Expired
  with a fresh token in the Status' metadata.continue); label selectors and the field selectors
  `metadata.name`, `metadata.namespace` (and `type` for Secrets, `status.phase` for Namespaces,
  `involvedObject.*`, `reason`, `type`, `source`, `reportingComponent` for Events; anything else is
  400). resourceVersion: unset or "0" = now; N with resourceVersionMatch=NotOlderThan (or unset,
  without limit) = now once the server has reached N; N with resourceVersionMatch=Exact (or with
  limit and no match) = the snapshot at N, 410 Expired if N is older than the history. An RV newer
  than the server's waits up to 3 s, then 504 (ResourceVersionTooLarge). Deviation: `limit` is
  honoured with resourceVersion=0 too (the real watch cache may ignore it and return everything).
- watch (`?watch=1`, `watch=true`, `watch=`): 200, chunked, one compact JSON event per line.
  resourceVersion unset or "0": synthetic ADDED events for the current state first; N: only
  changes newer than N (410 Expired as an ERROR event if N is older than the history).
  `sendInitialEvents=true` (with resourceVersionMatch=NotOlderThan) sends the current state and,
  with allowWatchBookmarks, the BOOKMARK annotated `k8s.io/initial-events-end: "true"`.
  `allowWatchBookmarks=true`: a BOOKMARK (kind, apiVersion, metadata.resourceVersion only) every
  --bookmark-interval seconds. `timeoutSeconds` ends the stream cleanly (terminating chunk);
  without it a watch lasts a random 30 to 60 minutes, as the real default. With selectors, an
  object that starts matching comes as ADDED and one that stops matching as DELETED. A watch
  that falls behind the history (a compaction while it still had events to send) ends with a 410
  ERROR event.
- `kubectl get` asks for a Table (server-side printing); it gets one, with the real columns.
- Writes: POST (201), PUT (409 Conflict on a stale metadata.resourceVersion; Leases require it,
  422), PATCH with application/merge-patch+json, application/json-patch+json and
  application/strategic-merge-patch+json (strategic merge patch for these kinds' fields; no
  server-side apply, which is 415), DELETE (with preconditions) and DELETE on a collection;
  `?dryRun=All`; the /status subresource of Ingress, Service and Namespace.

kubectl: it works unchanged (apply, create -f, get, describe, edit, patch, label, delete, -w),
without --validate=false, with Debian's kubectl 1.20 and the Cloud SDK's kubectl 1.27 to 1.33.
The server says it is v1.30.0, so the Cloud SDK's kubectl dispatcher runs its 1.30 client. Not
supported: `kubectl apply --server-side` (server-side apply), and, from kubectl 1.33 on, the
`kubectl create secret|service|namespace|ingress ...` generators, which send protobuf (415;
`kubectl create -f` and `kubectl apply -f` send JSON). Only HTTP/1.1 is offered (no HTTP/2).

Test controls (same HTTPS server, same token; not part of the Kubernetes API):

    POST /_test/compact        drop the whole history: any older RV now gets 410 Expired
    POST /_test/drop-watches   cut every open watch connection (no terminating chunk); answers
                               once they are closed
    GET  /_test/stats          JSON: request counts by "VERB RESOURCE" (verb = get, list, watch,
                               create, update, patch, delete, deletecollection; resource =
                               plural.group, or the path for discovery), open watches, every list
                               and watch request with its query string, throttled and
                               unauthorized counts, the current RV and the history floor
    POST /_test/reset-stats    zero the stats
    POST /_test/throttle?count=N&retry_after=S[&plain=1]
                               the next N requests (not test controls) get 429 with Retry-After: S
                               and a Status body (or, with plain=1, the plain-text body the real
                               API server's priority-and-fairness filter sends)
"""

import argparse
import hmac
import ipaddress
import json
import os
import random
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kube_kinds  # noqa: E402
import kube_tables  # noqa: E402
from kube_rest import Api, ListOptions, query_bool  # noqa: E402
from kube_status import (ApiError, bad_request, internal, method_not_allowed,  # noqa: E402
                         path_not_found, too_many_requests, unauthorized)
from kube_store import Store  # noqa: E402

SERVER_VERSION = {
    "major": "1", "minor": "30", "gitVersion": "v1.30.0",
    "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
    "buildDate": "2024-04-17T00:00:00Z", "goVersion": "go1.22.2", "compiler": "gc",
    "platform": "linux/amd64",
}
OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
# How often a watch waiting for changes checks whether its client is still there.
WATCH_POLL_SECONDS = 0.5


# --- TLS material ---------------------------------------------------------------------------------

def ensure_certificates(cert_dir, host):
    """Makes DIR/ca.crt, DIR/server.crt and DIR/server.key with openssl unless all exist."""
    paths = [os.path.join(cert_dir, name) for name in ("ca.crt", "server.crt", "server.key")]
    if all(os.path.exists(path) for path in paths):
        return paths
    os.makedirs(cert_dir, exist_ok=True)
    names = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    if host not in ("", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"):
        try:
            names.append("IP:" + str(ipaddress.ip_address(host)))
        except ValueError:
            names.append("DNS:" + host)
    with tempfile.TemporaryDirectory() as work:
        def run(*argv):
            subprocess.run(["openssl", *argv], check=True, cwd=work,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
            "-subj", "/CN=gatehouse-test-apiserver-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=apiserver")
        with open(os.path.join(work, "server.ext"), "w") as ext:
            ext.write("subjectAltName=%s\n" % ",".join(names))
            ext.write("basicConstraints=CA:FALSE\n")
            ext.write("keyUsage=critical,digitalSignature,keyEncipherment\n")
            ext.write("extendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-set_serial", str(random.randrange(1, 2 ** 62)), "-days", "3650",
            "-out", "server.crt", "-extfile", "server.ext")
        for name in ("server.key", "server.crt", "ca.crt"):
            os.replace(os.path.join(work, name), os.path.join(cert_dir, name))
    return paths


def tls_context(cert_dir):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(cert_dir, "server.crt"),
                            os.path.join(cert_dir, "server.key"))
    context.set_alpn_protocols(["http/1.1"])
    return context


# --- authentication -------------------------------------------------------------------------------

class TokenCheck:
    """Bearer tokens: the token file's current content, and the previous one for `grace`
    seconds after the server first saw the file change."""

    def __init__(self, token_file, grace):
        self.token_file = token_file
        self.grace = grace
        self.lock = threading.Lock()
        self.current = None
        self.previous = None
        self.previous_until = 0.0

    def _read(self):
        try:
            with open(self.token_file) as source:
                token = source.read().strip()
        except OSError:
            token = ""
        with self.lock:
            if token != self.current:
                if self.current:
                    self.previous = self.current
                    self.previous_until = time.monotonic() + self.grace
                self.current = token
            previous = self.previous if time.monotonic() < self.previous_until else None
        return token, previous

    def accepts(self, authorization):
        current, previous = self._read()
        if not authorization or not authorization.startswith("Bearer "):
            return False
        given = authorization[len("Bearer "):].strip().encode()
        return any(token and hmac.compare_digest(given, token.encode())
                   for token in (current, previous))


# --- test controls: stats, throttling, open watches -----------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {}
            self.lists = []
            self.watches = []
            self.throttled = 0
            self.unauthorized = 0

    def count(self, verb, resource):
        with self.lock:
            key = "%s %s" % (verb, resource)
            self.requests[key] = self.requests.get(key, 0) + 1

    def record(self, table, resource, namespace, query):
        with self.lock:
            getattr(self, table).append({"resource": resource, "namespace": namespace or "",
                                         "query": query})

    def add(self, counter):
        with self.lock:
            setattr(self, counter, getattr(self, counter) + 1)

    def snapshot(self):
        with self.lock:
            return {"requests": dict(self.requests), "lists": list(self.lists),
                    "watches": list(self.watches), "throttled": self.throttled,
                    "unauthorized": self.unauthorized}


class Throttle:
    def __init__(self):
        self.lock = threading.Lock()
        self.remaining = 0
        self.retry_after = 1
        self.plain = False

    def arm(self, count, retry_after, plain):
        with self.lock:
            self.remaining, self.retry_after, self.plain = count, retry_after, plain

    def take(self):
        """(retry_after, plain) when this request is to be throttled, else None."""
        with self.lock:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
            return self.retry_after, self.plain


class OpenWatch:
    def __init__(self, resource, namespace, query):
        self.resource = resource
        self.namespace = namespace or ""
        self.query = query
        self.since = time.time()
        self.dropped = False


class Watches:
    """The open watch streams, so that a test control can list or cut them."""

    def __init__(self, store):
        self.store = store
        self.open_watches = set()

    def opened(self, watch):
        with self.store.lock:
            self.open_watches.add(watch)

    def closed(self, watch):
        with self.store.lock:
            self.open_watches.discard(watch)
            self.store.changed.notify_all()

    def describe(self):
        with self.store.lock:
            return [{"resource": w.resource, "namespace": w.namespace, "query": w.query,
                     "since": w.since} for w in self.open_watches]

    def drop_all(self, timeout=5.0):
        """Marks every open watch to be cut, and waits until they are gone."""
        deadline = time.monotonic() + timeout
        with self.store.lock:
            doomed = set(self.open_watches)
            for watch in doomed:
                watch.dropped = True
            self.store.changed.notify_all()
            while doomed & self.open_watches and time.monotonic() < deadline:
                self.store.changed.wait(0.1)
            return len(doomed)


# --- discovery ------------------------------------------------------------------------------------

def _api_resource_list(group, version):
    resources = []
    for resource in kube_kinds.resources_of(group, version):
        entry = {"name": resource.plural, "singularName": resource.singular,
                 "namespaced": resource.namespaced, "kind": resource.kind,
                 "verbs": list(kube_kinds.ALL_VERBS)}
        if resource.short_names:
            entry["shortNames"] = resource.short_names
        if resource.categories:
            entry["categories"] = resource.categories
        resources.append(entry)
        if resource.status_subresource:
            resources.append({"name": resource.plural + "/status", "singularName": "",
                              "namespaced": resource.namespaced, "kind": resource.kind,
                              "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": group + "/" + version if group else version, "resources": resources}


def _api_group(group):
    versions = [{"groupVersion": g + "/" + v, "version": v}
                for g, v in kube_kinds.GROUP_VERSIONS if g == group]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def _openapi_v2_protobuf():
    """An OpenAPI v2 Document message (gnostic openapi_v2.proto) with only `swagger` (field 1)
    and `info` (field 2: title, version): valid, and without any schema."""
    def field(number, payload):
        assert len(payload) < 128
        return bytes([number << 3 | 2, len(payload)]) + payload

    info = field(1, b"Kubernetes") + field(2, SERVER_VERSION["gitVersion"].encode())
    return field(1, b"2.0") + field(2, info)


# --- HTTP -----------------------------------------------------------------------------------------

class Request:
    """What the router found in a URL: a resource, a namespace, a name, a subresource."""

    def __init__(self, resource, namespace=None, name=None, subresource=None):
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.subresource = subresource


def route_resource(segments):
    """Request for /api/v1/... or /apis/GROUP/VERSION/..., or None for a discovery path."""
    if segments[0] == "api":
        if len(segments) < 3:
            return None
        group, version, rest = "", segments[1], segments[2:]
    else:
        if len(segments) < 4:
            return None
        group, version, rest = segments[1], segments[2], segments[3:]
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        raise path_not_found()
    resource = kube_kinds.find_resource(group, version, rest[0])
    if resource is None or (namespace is not None and not resource.namespaced):
        raise path_not_found()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if resource.namespaced and namespace is None and name is not None:
        raise path_not_found()
    if subresource is not None and (subresource != "status" or not resource.status_subresource):
        raise path_not_found()
    return Request(resource, namespace, name, subresource)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gatehouse-test-apiserver"
    timeout = 120

    # --- plumbing ---

    def log_message(self, format, *args):
        sys.stderr.write("apiserver: %s %s\n" % (self.address_string(), format % args))

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_bytes(self, code, body, content_type="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, code, obj, headers=()):
        self.send_bytes(code, json.dumps(obj, separators=(",", ":")).encode() + b"\n",
                        headers=headers)

    def json_body(self, body):
        """The JSON request body; 415 for any other media type (protobuf, CBOR, YAML), as the
        real API server answers a type it does not take."""
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0]
        if content_type.strip().lower() not in ("application/json", "*/*", ""):
            raise ApiError(415, "UnsupportedMediaType",
                           'the body of the request was in an unknown format - accepted media '
                           'types include: application/json (got "%s"; this test API server '
                           'reads JSON only: kubectl 1.33 and later send protobuf from '
                           '"kubectl create <generator>", use "kubectl create -f" or "kubectl '
                           'apply -f" instead)' % content_type)
        try:
            return json.loads(body or b"null")
        except ValueError as error:
            raise bad_request("error decoding the request body as JSON: %s" % error) from None

    def send_error_status(self, error):
        headers = [("Retry-After", str(error.retry_after))] if error.retry_after else []
        self.send_json(error.code, error.status(), headers)

    # --- dispatch ---

    def dispatch(self, method):
        app = self.server.app
        self.streaming = False
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        segments = [urllib.parse.unquote(s) for s in url.path.split("/") if s]
        try:
            body = self.read_body()
            if not app.tokens.accepts(self.headers.get("Authorization")):
                app.stats.add("unauthorized")
                raise unauthorized()
            if segments[:1] == ["_test"]:
                return self.serve_test_control(method, segments[1:], query)
            throttled = app.throttle.take()
            if throttled:
                app.stats.add("throttled")
                self.send_throttled(*throttled)
                return
            if segments and segments[0] in ("api", "apis"):
                request = route_resource(segments)
                if request is not None:
                    return self.serve_resource(method, request, query, url.query, body)
            self.serve_discovery(method, segments)
        except ApiError as error:
            self.send_error_status(error)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception:  # noqa: BLE001  (a fault here must not look like a network failure)
            traceback.print_exc()
            if self.streaming:
                self.close_connection = True
            else:
                self.send_error_status(internal("unexpected error in the test API server; see "
                                                "its log"))

    def send_throttled(self, retry_after, plain):
        if plain:
            self.send_bytes(429, b"Too many requests, please try again later.\n",
                            "text/plain; charset=utf-8", [("Retry-After", str(retry_after)),
                                                          ("X-Content-Type-Options", "nosniff")])
        else:
            self.send_error_status(too_many_requests(retry_after))

    def serve_discovery(self, method, segments):
        app = self.server.app
        path = "/" + "/".join(segments)
        if method != "GET":
            raise method_not_allowed(method)
        app.stats.count("get", path)
        if path in ("/healthz", "/livez", "/readyz"):
            return self.send_bytes(200, b"ok", "text/plain; charset=utf-8")
        if path == "/version":
            return self.send_json(200, SERVER_VERSION)
        if path == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [
                                            {"clientCIDR": "0.0.0.0/0",
                                             "serverAddress": app.address}]})
        if path == "/api/v1":
            return self.send_json(200, _api_resource_list("", "v1"))
        if path == "/apis":
            groups = []
            for group, _ in kube_kinds.GROUP_VERSIONS:
                if group not in [g["name"] for g in groups]:
                    groups.append(_api_group(group))
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                        "groups": groups})
        if len(segments) == 2 and segments[0] == "apis":
            if any(g == segments[1] for g, _ in kube_kinds.GROUP_VERSIONS):
                return self.send_json(200, dict(_api_group(segments[1]), kind="APIGroup",
                                                apiVersion="v1"))
        if len(segments) == 3 and segments[0] == "apis":
            if (segments[1], segments[2]) in kube_kinds.GROUP_VERSIONS:
                return self.send_json(200, _api_resource_list(segments[1], segments[2]))
        if path == "/openapi/v2":
            if "protobuf" in self.headers.get("Accept", ""):
                return self.send_bytes(200, _openapi_v2_protobuf(), OPENAPI_V2_PROTOBUF)
            return self.send_json(200, {"swagger": "2.0",
                                        "info": {"title": "Kubernetes",
                                                 "version": SERVER_VERSION["gitVersion"]},
                                        "paths": {}, "definitions": {}})
        raise path_not_found()

    def serve_resource(self, method, request, query, raw_query, body):
        app = self.server.app
        resource = request.resource
        qualified = resource.plural + ("." + resource.group if resource.group else "")
        namespace, name = request.namespace, request.name
        dry_run = query.get("dryRun") == "All"
        if name is None:
            if method == "GET":
                options = ListOptions(resource, query)
                verb = "watch" if options.watch else "list"
                app.stats.count(verb, qualified)
                app.stats.record("watches" if options.watch else "lists", qualified, namespace,
                                 raw_query)
                if options.watch:
                    return self.serve_watch(resource, namespace, options, raw_query)
                result = app.api.list(resource, namespace, options)
                if kube_tables.wants_table(self.headers.get("Accept")):
                    result = kube_tables.table(resource.kind, result["items"], result["metadata"],
                                               query.get("includeObject", "Metadata"))
                return self.send_json(200, result)
            if method == "POST":
                app.stats.count("create", qualified)
                if resource.namespaced and namespace is None:
                    raise method_not_allowed(method)
                return self.send_json(201, app.api.create(resource, namespace, self.json_body(body),
                                                          dry_run))
            if method == "DELETE":
                app.stats.count("deletecollection", qualified)
                options = ListOptions(resource, query)
                return self.send_json(200, app.api.delete_collection(resource, namespace, options,
                                                                     dry_run))
            raise method_not_allowed(method)
        if method == "GET":
            app.stats.count("get", qualified)
            obj = app.api.get(resource, namespace, name)
            if kube_tables.wants_table(self.headers.get("Accept")):
                obj = kube_tables.table(resource.kind, [obj], {"resourceVersion": obj[
                    "metadata"]["resourceVersion"]}, query.get("includeObject", "Metadata"))
            return self.send_json(200, obj)
        if method == "PUT":
            app.stats.count("update", qualified)
            code, obj = app.api.update(resource, namespace, name, self.json_body(body),
                                       request.subresource, dry_run)
            return self.send_json(code, obj)
        if method == "PATCH":
            app.stats.count("patch", qualified)
            return self.send_json(200, app.api.patch(resource, namespace, name,
                                                     self.headers.get("Content-Type"), body,
                                                     request.subresource, dry_run))
        if method == "DELETE" and request.subresource is None:
            app.stats.count("delete", qualified)
            options = self.json_body(body) if body.strip() else {}
            if query.get("preconditions.uid") or query.get("preconditions.resourceVersion"):
                options.setdefault("preconditions", {})
                for field in ("uid", "resourceVersion"):
                    if query.get("preconditions." + field):
                        options["preconditions"][field] = query["preconditions." + field]
            return self.send_json(200, app.api.delete(resource, namespace, name, options,
                                                      dry_run))
        raise method_not_allowed(method)

    # --- watch ---

    def begin_stream(self):
        self.streaming = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def send_events(self, events):
        if not events:
            return
        if kube_tables.wants_table(self.headers.get("Accept")):
            events = [self.as_table_event(event) for event in events]
        data = b"".join(json.dumps(event, separators=(",", ":")).encode() + b"\n"
                        for event in events)
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def as_table_event(self, event):
        if event["type"] in ("ERROR", "BOOKMARK"):
            return event
        obj = event["object"]
        rows = kube_tables.table(obj["kind"], [obj], {"resourceVersion": obj["metadata"].get(
            "resourceVersion", "")})
        return {"type": event["type"], "object": rows}

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")

    def client_gone(self):
        """Whether the client closed its end (a watch client never sends anything)."""
        connection = self.connection
        try:
            readable, _, _ = select.select([connection], [], [], 0)
            if not readable:
                return False
            connection.setblocking(False)
            try:
                return connection.recv(1) == b""
            finally:
                connection.settimeout(self.timeout)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return False
        except (OSError, ValueError):
            return True

    def serve_watch(self, resource, namespace, options, raw_query):
        app = self.server.app
        store, api = app.store, app.api
        timeout = options.timeout_seconds
        if not timeout or timeout <= 0:
            timeout = random.uniform(app.min_request_timeout, 2 * app.min_request_timeout)
        deadline = time.monotonic() + timeout
        watch = OpenWatch(resource.plural + ("." + resource.group if resource.group else ""),
                          namespace, raw_query)
        with store.lock:
            try:
                initial, position, end_bookmark = api.start_watch(resource, namespace, options)
                failure = None
            except ApiError as error:
                failure = error
        self.begin_stream()
        if failure is not None:
            self.send_events([{"type": "ERROR", "object": failure.status()}])
            self.end_stream()
            return
        app.watches.opened(watch)
        try:
            if end_bookmark:
                initial.append(api.bookmark(resource, position, initial_events_end=True))
            self.send_events(initial)
            next_bookmark = time.monotonic() + app.bookmark_interval
            while True:
                wake_at = min(deadline, next_bookmark) if options.allow_bookmarks else deadline
                changes, failure = None, None
                with store.lock:
                    remaining = wake_at - time.monotonic()
                    if not watch.dropped and store.rv == position and remaining > 0:
                        store.changed.wait(min(WATCH_POLL_SECONDS, remaining))
                    if watch.dropped:
                        return self.cut_connection()
                    if store.rv != position:
                        if position < store.floor:
                            failure = {"type": "ERROR", "object": ApiError(
                                410, "Expired", "too old resource version: %d (%d)"
                                % (position, store.floor)).status()}
                        else:
                            changes = store.changes_after(position)
                            position = store.rv
                if failure is not None:
                    self.send_events([failure])
                    return self.end_stream()
                if changes:
                    self.send_events([event for event in
                                      (api.watch_event(resource, namespace, options, change)
                                       for change in changes) if event])
                elif self.client_gone():
                    self.close_connection = True
                    return
                now = time.monotonic()
                if now >= deadline:
                    return self.end_stream()
                if options.allow_bookmarks and now >= next_bookmark:
                    self.send_events([api.bookmark(resource, position)])
                    next_bookmark = now + app.bookmark_interval
        except (OSError, ValueError):
            self.close_connection = True
        finally:
            app.watches.closed(watch)

    def cut_connection(self):
        """Closes the connection at once, in the middle of the chunked body."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- test controls ---

    def serve_test_control(self, method, segments, query):
        app = self.server.app
        control = "/".join(segments)
        if control == "stats" and method == "GET":
            stats = app.stats.snapshot()
            with app.store.lock:
                stats["resourceVersion"] = str(app.store.rv)
                stats["historyFloor"] = str(app.store.floor)
            stats["open_watches"] = app.watches.describe()
            return self.send_json(200, stats)
        if method != "POST":
            raise method_not_allowed(method)
        if control == "compact":
            with app.store.lock:
                app.store.compact()
                rv = app.store.rv
            return self.send_json(200, {"compactedTo": str(rv)})
        if control == "drop-watches":
            return self.send_json(200, {"dropped": app.watches.drop_all()})
        if control == "reset-stats":
            app.stats.reset()
            return self.send_json(200, {})
        if control == "throttle":
            try:
                count = int(query.get("count", "1"))
                retry_after = int(query.get("retry_after", "1"))
            except ValueError:
                raise bad_request("count and retry_after must be integers") from None
            app.throttle.arm(count, retry_after, bool(query_bool(query, "plain")))
            return self.send_json(200, {"count": count, "retry_after": retry_after})
        raise path_not_found()


class App:
    """Everything the request handlers share."""

    def __init__(self, args, address):
        self.store = Store(args.state, args.compact_keep)
        self.api = Api(self.store)
        self.tokens = TokenCheck(args.token_file, args.token_grace)
        self.stats = Stats()
        self.throttle = Throttle()
        self.watches = Watches(self.store)
        self.bookmark_interval = args.bookmark_interval
        self.min_request_timeout = args.min_request_timeout
        self.address = address


class ApiHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, tls):
        host = address[0]
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.tls = tls
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        """Runs in the connection's thread: the TLS handshake first, then HTTP."""
        try:
            request.settimeout(10)
            connection = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            connection.close()

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT (port 0: any free port)")
    parser.add_argument("--cert-dir", required=True,
                        help="where ca.crt, server.crt and server.key are (made if missing)")
    parser.add_argument("--token-file", required=True, help="file holding the bearer token")
    parser.add_argument("--token-grace", type=float, default=0.0,
                        help="seconds the previous token still works after a rotation")
    parser.add_argument("--state", help="file to persist objects and the resourceVersion to")
    parser.add_argument("--compact-keep", type=int, default=10000,
                        help="how many changes the history keeps (older RVs get 410 Expired)")
    parser.add_argument("--bookmark-interval", type=float, default=1.0,
                        help="seconds between BOOKMARK events on watches that allow them")
    parser.add_argument("--min-request-timeout", type=float, default=1800.0,
                        help="a watch without timeoutSeconds lasts this to twice this long")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    ensure_certificates(args.cert_dir, host)
    server = ApiHttpServer((host, int(port)), tls_context(args.cert_dir))
    bound_port = server.server_address[1]
    address = ("[%s]:%d" if ":" in host else "%s:%d") % (host, bound_port)
    server.app = App(args, address)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stderr.write("apiserver listening on %s\n" % address)
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
