"""Memory of the Gatehouse data plane against nginx, both as one-worker reverse proxies in front
of the same upstream on 127.0.0.1 (run it through memory_bench.sh, which builds what it needs):

  idle     N keep-alive client connections, each after one small request, then left idle: the
           proxy's resident memory before and after, per connection.
  stream   a 1 GiB upload and a 1 GiB download through the proxy (curl), each against a fresh
           proxy: its peak resident memory (VmHWM) and the throughput.
  streams  M HTTP/2 connections of 128 streams each (h2load), every stream uploading 8 MiB to
           an upstream that accepts and never reads: the proxy's peak resident memory once the
           uploads have stalled, which --max-connection-buffer bounds (issue 16).

The upstream is this file's own server: GET /small answers 128 bytes, PUT /sink reads and
discards a body of any size, GET /bytes/N streams N bytes. Nothing here is a pass/fail check:
it measures, and prints the figures next to issue 5's targets.
"""

import argparse
import os
import resource
import selectors
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

GIB = 1 << 30
CHUNK = 1 << 20


class Upstream(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


class UpstreamHandler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            length, chunked = 0, False
            while True:
                header = self.rfile.readline(65537)
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
                elif name.strip().lower() == "transfer-encoding":
                    chunked = "chunked" in value.lower()
            received = self.drain(length, chunked)
            if target.startswith("/bytes/"):
                size = int(target[len("/bytes/"):])
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                block = b"x" * CHUNK
                for start in range(0, size, CHUNK):
                    self.wfile.write(block[:min(CHUNK, size - start)])
            else:
                body = b"%d\n" % received if method in ("PUT", "POST") else b"x" * 128
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(body), body))
            self.wfile.flush()

    def drain(self, length, chunked):
        received = 0
        if chunked:
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return received
                received += self.skip(size)
                self.rfile.readline()
        return self.skip(length)

    def skip(self, n):
        left = n
        while left > 0:
            data = self.rfile.read(min(left, CHUNK))
            if not data:
                break
            left -= len(data)
        return n - left


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s for %d" % (field, pid))


def wait_http(port, host, path="/small", limit=30, h2=False):
    deadline = time.time() + limit
    while time.time() < deadline:
        if h2:
            out = subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "1",
                 "--http2-prior-knowledge", "-H", "Host: " + host,
                 "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True).stdout
            if out == "200":
                return
            time.sleep(0.05)
            continue
        try:
            request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                             headers={"Host": host})
            with urllib.request.urlopen(request, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("nothing answered on port %d" % port)


class Proxy:
    """A proxy process (and the worker process whose memory counts)."""

    def __init__(self, name, argv, port, host, log, worker_of=None, env=None, h2=False):
        self.name, self.port, self.host = name, port, host
        self.process = subprocess.Popen(argv, stdout=log, stderr=log, env=env)
        wait_http(port, host, h2=h2)
        self.pid = self.process.pid
        if worker_of == "nginx":  # the one worker process, not the master
            children = open("/proc/%d/task/%d/children" % (self.pid, self.pid)).read().split()
            self.pid = int(children[0])

    def stop(self):
        self.process.send_signal(signal.SIGTERM if self.name == "nginx" else signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class NonReadingUpstream:
    """Answers GET /small (the readiness check); on any other request reads nothing more, ever.
    Its receive buffers are small: the kernel holds little on the way."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4096)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.lock = threading.Lock()
        self.accepted = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            for key, _ in self.selector.select():
                with self.lock:
                    if key.fileobj is self.listener:
                        try:
                            connection = self.listener.accept()[0]
                        except OSError:
                            continue
                        self.accepted.append(connection)
                        self.selector.register(connection, selectors.EVENT_READ)
                        continue
                    connection = key.fileobj
                    try:
                        head = connection.recv(4096)
                    except OSError:
                        head = b""
                    if head.startswith(b"GET /small"):
                        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 128\r\n\r\n"
                                           + b"x" * 128)
                    else:
                        self.selector.unregister(connection)

    def close_connections(self):
        with self.lock:
            for connection in self.accepted:
                try:
                    self.selector.unregister(connection)
                except (KeyError, ValueError):
                    pass
                connection.close()
            self.accepted = []


def start_proxies(work, upstream, which, extra_args=(), h2=False):
    """Starts the proxy named `which` in front of `upstream`; with `h2`, checked over HTTP/2
    without TLS (prior knowledge), which nginx then speaks instead of HTTP/1.1."""
    log = open(os.path.join(work, which + ".log"), "a")
    port = free_port()
    if which == "nginx":
        conf = os.path.join(work, "nginx-%d.conf" % port)
        with open(conf, "w") as f:
            f.write("""worker_processes 1;
worker_rlimit_nofile 65536;
pid %(work)s/nginx-%(port)d.pid;
error_log %(work)s/nginx-error.log;
events { worker_connections 30000; }
http {
  access_log off;
  client_body_temp_path %(work)s/nginx-body;
  proxy_temp_path %(work)s/nginx-proxy;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:%(upstream)d; keepalive 128; }
  server {
    listen 127.0.0.1:%(port)d%(h2)s;
    client_max_body_size 0;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }
}
""" % {"work": work, "port": port, "upstream": upstream, "h2": " http2" if h2 else ""})
        return Proxy("nginx", ["nginx", "-c", conf, "-g", "daemon off;"], port, "up", log,
                     worker_of="nginx", h2=h2)
    manifests = os.path.join(work, "manifests")
    os.makedirs(manifests, exist_ok=True)
    with open(os.path.join(manifests, "world.yaml"), "w") as f:
        f.write("""apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatehouse, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: gatehouse.dev/ingress-controller}
---
apiVersion: v1
kind: Service
metadata: {name: up, namespace: default}
spec: {ports: [{name: http, port: 80, targetPort: %(upstream)d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: up, namespace: default, labels: {kubernetes.io/service-name: up}}
addressType: IPv4
ports: [{name: http, port: %(upstream)d}]
endpoints: [{addresses: ["127.0.0.1"]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: up, namespace: default}
spec:
  defaultBackend: {service: {name: up, port: {number: 80}}}
""" % {"upstream": upstream})
    xds = free_port()
    controlplane = subprocess.Popen(
        ["build/release/bin/gatehouse-controlplane", "--source=file:" + manifests,
         "--xds-listen=127.0.0.1:%d" % xds, "--admin-listen=127.0.0.1:0",
         "--health-listen=127.0.0.1:0", "--log-level=warning"], stdout=log, stderr=log)
    proxy = Proxy("gatehouse", [
        "build/release/bin/gatehouse-dataplane", "--xds-server=127.0.0.1:%d" % xds,
        "--workers=1", "--http-listen=127.0.0.1:%d" % port, "--admin-listen=127.0.0.1:0",
        "--health-listen=127.0.0.1:0", "--log-level=warning", "--max-connections=30000",
        *extra_args], port, "up", log, h2=h2)
    proxy.controlplane = controlplane
    original_stop = proxy.stop

    def stop():
        original_stop()
        controlplane.terminate()
        controlplane.wait()
    proxy.stop = stop
    return proxy


def idle_connections(proxy, count):
    """Opens `count` keep-alive connections, one small request each, and leaves them idle.
    Returns (RSS before KiB, RSS after KiB, the sockets)."""
    time.sleep(0.5)
    before = rss_kib(proxy.pid)
    request = b"GET /small HTTP/1.1\r\nHost: up\r\n\r\n"
    sockets = []
    selector = selectors.DefaultSelector()
    pending = {}
    batch = 500
    for start in range(0, count, batch):
        for _ in range(min(batch, count - start)):
            s = socket.create_connection(("127.0.0.1", proxy.port))
            s.sendall(request)
            s.setblocking(False)
            pending[s] = b""
            selector.register(s, selectors.EVENT_READ)
            sockets.append(s)
        while pending:
            for key, _ in selector.select(timeout=10):
                s = key.fileobj
                pending[s] += s.recv(65536)
                head, sep, body = pending[s].partition(b"\r\n\r\n")
                if sep and len(body) >= 128:
                    selector.unregister(s)
                    del pending[s]
    time.sleep(1.0)
    return before, rss_kib(proxy.pid), sockets


def upload_source(work):
    """The 1 GiB file every upload sends, read through once before any upload is timed: the
    first read of a fresh file fills the page cache, which costs seconds that would be charged to
    whichever proxy went first."""
    source = os.path.join(work, "upload.bin")
    if not os.path.exists(source):
        with open(source, "wb") as f:
            f.truncate(GIB)  # sparse: reads as zeros, costs no disk
        with open(source, "rb") as f:
            while f.read(CHUNK):
                pass
    return source


def stream(proxy, work, direction):
    """A 1 GiB upload or download through the proxy with curl; returns (seconds, peak KiB)."""
    url = "http://127.0.0.1:%d" % proxy.port
    if direction == "upload":
        argv = ["curl", "-sS", "-o", "/dev/null", "-H", "Host: up", "-T", upload_source(work),
                url + "/sink"]
    else:
        argv = ["curl", "-sS", "-o", "/dev/null", "-H", "Host: up", url + "/bytes/%d" % GIB]
    started = time.time()
    subprocess.run(argv, check=True)
    return time.time() - started, rss_kib(proxy.pid, "VmHWM")


def many_streams(proxy, work, connections, seconds=20):
    """`connections` HTTP/2 connections of 128 streams, each uploading 8 MiB to an upstream
    that never reads, for `seconds`; returns the proxy's peak resident KiB."""
    body = os.path.join(work, "stream-body.bin")
    if not os.path.exists(body):
        with open(body, "wb") as f:
            f.truncate(8 << 20)
    h2load = subprocess.Popen(
        ["h2load", "-c", str(connections), "-m", "128", "-n", str(connections * 128), "-d", body,
         "-H", ":authority: up", "http://127.0.0.1:%d/sink" % proxy.port],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    peak = rss_kib(proxy.pid, "VmHWM")
    h2load.kill()
    h2load.wait()
    return peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--h2-connections", type=int, default=100,
                        help="HTTP/2 connections of 128 stalled uploads each (0: skip)")
    parser.add_argument("--only-streams", action="store_true",
                        help="measure the stalled uploads alone")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(args.connections * 2 + 1024, args.h2_connections * 128 * 3 + 1024, soft)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    work = tempfile.mkdtemp(prefix="gatehouse-membench-")
    os.makedirs(os.path.join(work, "nginx-body"))
    os.makedirs(os.path.join(work, "nginx-proxy"))
    upstream = Upstream(("127.0.0.1", 0), UpstreamHandler)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    upstream_port = upstream.server_address[1]

    if not args.only_streams:
        idle_and_stream(args, work, upstream_port)
    if args.h2_connections > 0:
        stalled_uploads(args, work)
    upstream.shutdown()


def stalled_uploads(args, work):
    sink = NonReadingUpstream()
    print("%d HTTP/2 connections x 128 streams uploading to an upstream that reads nothing, "
          "one worker each:" % args.h2_connections)
    runs = [("gatehouse", "default 4MiB", []),
            ("gatehouse", "1MiB", ["--max-connection-buffer=1MiB"]),
            ("nginx", "", [])]
    peaks = {}
    for which, label, extra in runs:
        proxy = start_proxies(work, sink.port, which, extra, h2=True)
        try:
            peak = many_streams(proxy, work, args.h2_connections)
            peaks[(which, label)] = peak
            print("  %-10s %-13s peak RSS %7.1f MiB (%5.2f MiB per connection)" % (
                which, label, peak / 1024, peak / 1024 / args.h2_connections))
        finally:
            proxy.stop()
            sink.close_connections()
    print("  gatehouse (default)/nginx peak: %.2fx" % (
        peaks[("gatehouse", "default 4MiB")] / peaks[("nginx", "")]))


def idle_and_stream(args, work, upstream_port):
    print("%d idle keep-alive connections, one worker each:" % args.connections)
    per_connection = {}
    for which in ("gatehouse", "nginx"):
        proxy = start_proxies(work, upstream_port, which)
        try:
            before, after, sockets = idle_connections(proxy, args.connections)
            per_connection[which] = (after - before) * 1024 / args.connections
            print("  %-10s RSS %6.1f MiB -> %6.1f MiB: %7.0f bytes per idle connection" % (
                which, before / 1024, after / 1024, per_connection[which]))
            for s in sockets:
                s.close()
        finally:
            proxy.stop()
    print("  gatehouse/nginx per connection: %.2fx   (target: <= 1x)" % (
        per_connection["gatehouse"] / per_connection["nginx"]))
    print()
    print("1 GiB streamed through the proxy, each on a fresh process:")
    for which in ("gatehouse", "nginx"):
        for direction in ("upload", "download"):
            proxy = start_proxies(work, upstream_port, which)
            try:
                seconds, peak = stream(proxy, work, direction)
                target = "   (target: < 64 MiB)" if which == "gatehouse" else ""
                print("  %-10s %-8s %5.1f s (%5.0f MiB/s), peak RSS %5.1f MiB%s" % (
                    which, direction, seconds, 1024 / seconds, peak / 1024, target))
            finally:
                proxy.stop()


if __name__ == "__main__":
    main()
