"""A test Kubernetes API server (apiserver.py) in a subprocess, for integration tests.

    from kube_fixture import KubeApiServer

    with KubeApiServer() as kube:                 # free port, temporary folder, state file
        kube.kubectl("apply", "-f", "-", input=MANIFEST)
        ingress = kube.kubectl_json("get", "ingress", "-n", "prod", "web")
        response = kube.request("GET", "/apis/networking.k8s.io/v1/ingresses?limit=10")
        watch = kube.watch("/api/v1/services?watch=1&resourceVersion=%s" % rv)
        event = watch.next_event(timeout=5)       # {"type": "ADDED", "object": {...}}
        kube.compact(); kube.drop_watches(); kube.throttle(2, retry_after=1)
        kube.stats()["requests"]["list ingresses.networking.k8s.io"]
        kube.rotate_token(); kube.restart()

What a client of the server needs: `url` (https://127.0.0.1:PORT), `host`, `port`, `ca_file`,
`token_file` (a client that reads its token from a file re-reads it after `rotate_token()`),
`token`, `kubeconfig` (token auth, CA file; rewritten on rotation), and `in_cluster_env()` (the
KUBERNETES_SERVICE_HOST/PORT variables of an in-cluster client). The server's log, one line per
request, is `log_path`; `log()` reads it.

kubectl is /usr/bin/kubectl unless the KUBECTL environment variable names another; its discovery
cache is kept in the server's folder. Standard library only.
"""

import http.client
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

APISERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apiserver.py")
START_TIMEOUT = 30.0


class KubectlError(RuntimeError):
    """kubectl exited non-zero; the message has its arguments, exit code, stdout and stderr."""

    def __init__(self, completed):
        self.completed = completed
        super().__init__("kubectl %s exited with %d\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(completed.args[1:]), completed.returncode, completed.stdout,
                            completed.stderr))


class WatchCut(ConnectionError):
    """The watch connection ended without the terminating chunk (cut by the server)."""


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class WatchStream:
    """One open watch. A reader thread turns the chunked body into events; `next_event` hands
    them out one at a time: an event dict, or None once the stream ended cleanly. When the server
    did not answer 200, `status` says so and `body` holds the (Status) body."""

    _END = object()

    def __init__(self, connection, response):
        self.connection = connection
        self.response = response
        self.status = response.status
        self.headers = response.headers
        self.body = None
        self._events = queue.Queue()
        if response.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.body = response.read()
            connection.close()
            self._events.put(WatchCut("the watch was answered %d: %r" % (response.status,
                                                                         self.body[:300])))

    def _read(self):
        # read1 tells a clean end (b"" after the terminating chunk) from a cut (IncompleteRead);
        # readline would report both as a clean end.
        pending = b""
        try:
            while True:
                data = self.response.read1(65536)
                if not data:
                    self._events.put(self._END)
                    return
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._events.put(json.loads(line))
        except Exception as error:  # noqa: BLE001  (however the connection broke, it is cut)
            self._events.put(WatchCut("watch connection cut: %r" % (error,)))
        finally:
            self.connection.close()

    def next_event(self, timeout=10.0):
        """The next event; None when the server ended the stream cleanly; raises WatchCut when
        the connection was cut, TimeoutError when nothing came within `timeout` seconds."""
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no watch event within %.1fs" % timeout) from None
        if item is self._END:
            self._events.put(item)
            return None
        if isinstance(item, Exception):
            self._events.put(item)
            raise item
        return item

    def next_change(self, timeout=10.0):
        """The next event that is not a BOOKMARK (None at a clean end)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(0.01, deadline - time.monotonic()))
            if event is None or event["type"] != "BOOKMARK":
                return event

    def close(self):
        try:
            self.connection.sock and self.connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()


class KubeApiServer:
    """apiserver.py on 127.0.0.1, with its certificates, token, state and log in `workdir`
    (a new temporary folder, removed by stop(), unless given)."""

    def __init__(self, workdir=None, token=None, compact_keep=None, bookmark_interval=None,
                 token_grace=None, persist=True, extra_args=()):
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="kube-apiserver-")
        self.host = "127.0.0.1"
        self.port = 0
        self.token = token or secrets.token_hex(16)
        self.token_file = os.path.join(self.workdir, "token")
        self.cert_dir = os.path.join(self.workdir, "certs")
        self.ca_file = os.path.join(self.cert_dir, "ca.crt")
        self.kubeconfig = os.path.join(self.workdir, "kubeconfig")
        self.state_file = os.path.join(self.workdir, "state.json") if persist else None
        self.log_path = os.path.join(self.workdir, "apiserver.log")
        self.kubectl_binary = os.environ.get("KUBECTL", "/usr/bin/kubectl")
        self.options = []
        if compact_keep is not None:
            self.options += ["--compact-keep", str(compact_keep)]
        if bookmark_interval is not None:
            self.options += ["--bookmark-interval", str(bookmark_interval)]
        if token_grace is not None:
            self.options += ["--token-grace", str(token_grace)]
        self.options += list(extra_args)
        self.process = None
        self._write_token(self.token)

    # --- lifecycle ---

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def url(self):
        return "https://%s:%d" % (self.host, self.port)

    def start(self):
        argv = [sys.executable, APISERVER, "--listen", "%s:%d" % (self.host, self.port),
                "--cert-dir", self.cert_dir, "--token-file", self.token_file] + self.options
        if self.state_file:
            argv += ["--state", self.state_file]
        log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT)
        self.port = self._wait_until_ready(log_offset)
        self._write_kubeconfig()
        return self

    def _wait_until_ready(self, log_offset):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as log:
                log.seek(log_offset)
                for line in log.read().decode(errors="replace").splitlines():
                    if line.startswith("apiserver listening on "):
                        return int(line.rsplit(":", 1)[1])
            if self.process.poll() is not None:
                raise RuntimeError("apiserver.py exited with %d:\n%s"
                                   % (self.process.returncode, self.log()))
            time.sleep(0.02)
        raise RuntimeError("apiserver.py not ready after %.0fs:\n%s" % (START_TIMEOUT, self.log()))

    def stop(self):
        self._end_process(signal.SIGTERM)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def restart(self, graceful=False):
        """Stops the server (SIGKILL unless graceful) and starts it again on the same port,
        with the same state file."""
        self._end_process(signal.SIGTERM if graceful else signal.SIGKILL)
        self.start()

    def _end_process(self, how):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(how)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()

    # --- credentials ---

    def _write_token(self, token):
        temporary = self.token_file + ".tmp"
        with open(temporary, "w") as out:
            out.write(token + "\n")
        os.replace(temporary, self.token_file)

    def _write_kubeconfig(self):
        config = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "test", "cluster": {"server": self.url,
                                                      "certificate-authority": self.ca_file}}],
            "users": [{"name": "test", "user": {"token": self.token}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test",
                                                      "namespace": "default"}}],
            "current-context": "test",
        }
        with open(self.kubeconfig, "w") as out:
            json.dump(config, out, indent=1)  # JSON is YAML

    def rotate_token(self, new_token=None):
        """Writes a new token to the token file (the server takes it from the next request on)
        and to the kubeconfig. Returns it."""
        self.token = new_token or secrets.token_hex(16)
        self._write_token(self.token)
        self._write_kubeconfig()
        return self.token

    def in_cluster_env(self):
        return {"KUBERNETES_SERVICE_HOST": self.host, "KUBERNETES_SERVICE_PORT": str(self.port)}

    # --- kubectl ---

    def kubectl(self, *args, input=None, check=True, timeout=60, env=None):
        argv = [self.kubectl_binary, "--kubeconfig=" + self.kubeconfig,
                "--cache-dir=" + os.path.join(self.workdir, "kubectl-cache")] + list(args)
        environment = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        environment.update(env or {})
        completed = subprocess.run(argv, input=input, capture_output=True, text=True,
                                   timeout=timeout, env=environment)
        if check and completed.returncode != 0:
            raise KubectlError(completed)
        return completed

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    # --- raw HTTPS ---

    def _connection(self, timeout):
        context = ssl.create_default_context(cafile=self.ca_file)
        return http.client.HTTPSConnection(self.host, self.port, context=context, timeout=timeout)

    def _headers(self, token, content_type, headers):
        all_headers = {"Accept": "application/json"}
        if token is not False:
            all_headers["Authorization"] = "Bearer " + (token if token is not None else self.token)
        if content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return all_headers

    def request(self, method, path, body=None, content_type=None, token=None, headers=None,
                timeout=30):
        """One request. `body` may be a dict (sent as JSON) or bytes; `token=False` sends no
        Authorization header. Returns a Response."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = content_type or "application/json"
        connection = self._connection(timeout)
        try:
            connection.request(method, path, body=body,
                               headers=self._headers(token, content_type, headers))
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def watch(self, path, token=None, headers=None, timeout=30):
        """Opens a watch (the caller puts watch=1 and the rest in `path`). A non-200 answer is
        returned as a WatchStream whose `status` and `body` say so."""
        connection = self._connection(timeout)
        connection.request("GET", path, headers=self._headers(token, None, headers))
        response = connection.getresponse()
        connection.sock.settimeout(None)  # a watch may be quiet for long; close() ends it
        return WatchStream(connection, response)

    # --- test controls ---

    def _control(self, method, path):
        response = self.request(method, path)
        if response.status != 200:
            raise RuntimeError("%s %s answered %r" % (method, path, response))
        return response.json()

    def compact(self):
        """Drops the server's change history: every older resourceVersion gets 410 Expired."""
        return self._control("POST", "/_test/compact")

    def drop_watches(self):
        """Cuts every open watch connection; returns how many there were."""
        return self._control("POST", "/_test/drop-watches")["dropped"]

    def stats(self):
        return self._control("GET", "/_test/stats")

    def reset_stats(self):
        return self._control("POST", "/_test/reset-stats")

    def throttle(self, count, retry_after=1, plain=False):
        """The next `count` API requests get 429 with Retry-After: `retry_after`."""
        query = urllib.parse.urlencode({"count": count, "retry_after": retry_after,
                                        "plain": "1" if plain else "0"})
        return self._control("POST", "/_test/throttle?" + query)
