"""The integration tests' harness: real Gatehouse processes and echo upstreams on 127.0.0.1,
driven with curl.

- Ports are chosen free at run time (bind 127.0.0.1:0).
- Every process logs to a file in the test's temporary folder; when a test fails, the logs of
  every process it used are printed.
- Waiting is always polling a condition with a deadline, never a fixed sleep.
- SteadyLoad keeps requests flowing in the background while a test breaks something, and records
  every outcome, so a test can assert that not one request failed.

The binaries come from GATEHOUSE_CONTROLPLANE, GATEHOUSE_DATAPLANE and GATEHOUSECTL (CTest sets
them), else from build/dev/bin.
"""

import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from manifests import ManifestDir

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(REPO, "deploy", "examples")
ECHO_SERVER = os.path.join(EXAMPLES, "echo_server.py")

sys.path.insert(0, EXAMPLES)
from echo_server import pattern_bytes  # noqa: E402  (the body /__bytes/N sends)

# Start-up under the sanitizers of the dev build is slower than release; stay generous.
START_TIMEOUT = float(os.environ.get("GATEHOUSE_TEST_START_TIMEOUT", "30"))
CURL_TIMEOUT = 15


def binary(env_name, program):
    path = os.environ.get(env_name) or os.path.join(REPO, "build", "dev", "bin", program)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not found at %s: build it (cmake --build --preset dev) or set %s"
                           % (program, path, env_name))
    return path


def controlplane_binary():
    return binary("GATEHOUSE_CONTROLPLANE", "gatehouse-controlplane")


def dataplane_binary():
    return binary("GATEHOUSE_DATAPLANE", "gatehouse-dataplane")


def gatehousectl_binary():
    return binary("GATEHOUSECTL", "gatehousectl")


_handed_out_ports = set()


def free_port(also_on=()):
    """A TCP port free on 127.0.0.1 (and on every address in `also_on`), never handed out twice
    in this run."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in _handed_out_ports:
            continue
        try:
            for address in also_on:
                with socket.socket() as s:
                    s.bind((address, port))
        except OSError:
            continue
        _handed_out_ports.add(port)
        return port


def access_log_entries(path, target, timeout=5):
    """The JSON access log lines of `path` whose target is `target`, once there is one."""
    def entries():
        if not os.path.exists(path):
            return None
        with open(path) as f:
            lines = [json.loads(line) for line in f.read().splitlines()]
        return [line for line in lines if line["target"] == target]
    return wait_until(entries, timeout, "an access log line for " + target)


def wait_until(condition, timeout, what, processes=()):
    """Polls `condition` until it returns a true value, which is returned. Exceptions count as
    "not yet". Fails at once when one of `processes` exits, and after `timeout` seconds with the
    last value or exception seen."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        for process in processes:
            if not process.running():
                raise AssertionError("%s exited with code %s while waiting for %s"
                                     % (process.name, process.returncode(), what))
        try:
            value = condition()
            if value:
                return value
            last = value
        except Exception as error:  # noqa: BLE001  (any failure means "not yet")
            last = error
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)"
                                 % (timeout, what, last))
        time.sleep(0.05)


# --- processes ---------------------------------------------------------------------------------

class Process:
    """A child process whose stdout and stderr go to LOG_DIR/NAME.log."""

    def __init__(self, name, argv, log_dir):
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_path = os.path.join(log_dir, name + ".log")
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self):
        return self.popen.pid

    def running(self):
        return self.popen.poll() is None

    def returncode(self):
        return self.popen.poll()

    def signal(self, signum):
        if self.running():
            self.popen.send_signal(signum)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code."""
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.popen.returncode

    def kill(self):
        self.signal(signal.SIGKILL)
        self.popen.wait()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class ProcessGroup:
    """Processes started together and stopped together, most recent first."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.processes = []

    def start(self, name, argv):
        used = {p.name for p in self.processes}
        unique, n = name, 2
        while unique in used:
            unique, n = "%s-%d" % (name, n), n + 1
        process = Process(unique, argv, self.log_dir)
        self.processes.append(process)
        return process

    def stop_all(self):
        for process in reversed(self.processes):
            process.stop()

    def dump_logs(self, stream):
        for process in self.processes:
            state = ("running" if process.running()
                     else "exited with code %s" % process.returncode())
            stream.write("\n===== %s (pid %d, %s): %s\n" % (process.name, process.pid, state,
                                                          " ".join(process.argv)))
            text = process.log()
            lines = text.splitlines()
            if len(lines) > 300:
                stream.write("[... %d earlier lines in %s]\n" % (len(lines) - 300,
                                                                 process.log_path))
                lines = lines[-300:]
            stream.write("\n".join(lines) + "\n")


class EchoServer:
    """deploy/examples/echo_server.py on host:port."""

    def __init__(self, group, name, host="127.0.0.1", port=None, server_header=None, quiet=False,
                 tls=None, status=None):
        """`tls`: (certificate file, key file) to serve HTTPS."""
        self.name = name
        self.host = host
        self.port = port or free_port()
        argv = [sys.executable, ECHO_SERVER, "--listen", "%s:%d" % (host, self.port),
                "--name", name]
        if server_header:
            argv += ["--server-header", server_header]
        if quiet:  # under steady load, a line per request would bury everything else
            argv += ["--quiet"]
        if tls:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        if status:  # every answer has this status (a failing upstream)
            argv += ["--status", str(status)]
        self.process = group.start("echo-" + name, argv)
        wait_until(self._accepts, START_TIMEOUT, "echo server %s to listen" % name,
                   [self.process])

    def _accepts(self):
        with socket.create_connection((self.host, self.port), timeout=1):
            return True


class ControlPlane:
    """gatehouse-controlplane on free ports, reading `manifest_dir`, or with `source` (the
    --source flags as a list) from elsewhere."""

    def __init__(self, group, manifest_dir=None, xds=None, admin=None, health=None,
                 extra_args=(), source=None, name="controlplane"):
        self.manifest_dir = manifest_dir
        self.xds = xds or free_port()
        self.admin = admin or free_port()
        self.health = health or free_port()
        self.process = group.start(name, [
            controlplane_binary(),
            *(source or ["--source=file:" + manifest_dir]),
            "--xds-listen=127.0.0.1:%d" % self.xds,
            "--admin-listen=127.0.0.1:%d" % self.admin,
            "--health-listen=127.0.0.1:%d" % self.health,
            "--log-level=debug",
            *extra_args])

    @property
    def xds_address(self):
        return "127.0.0.1:%d" % self.xds

    def wait_ready(self):
        wait_until(lambda: health_get(self.health, "/readyz")[0] == 200, START_TIMEOUT,
                   "the control plane's /readyz to answer 200", [self.process])


class DataPlane:
    def __init__(self, group, xds_servers, node_id, workers=2, log_level="debug", extra_args=()):
        self.node_id = node_id
        self.http = free_port()
        self.admin = free_port()
        self.health = free_port()
        self.process = group.start(node_id, [
            dataplane_binary(),
            "--xds-server=" + xds_servers,
            "--node-id=" + node_id,
            "--workers=%d" % workers,
            "--http-listen=127.0.0.1:%d" % self.http,
            "--admin-listen=127.0.0.1:%d" % self.admin,
            "--health-listen=127.0.0.1:%d" % self.health,
            # Under steady load, "info" keeps a line per connection out of the log.
            "--log-level=" + log_level,
            # Stopping (SIGTERM) drains without the wait for load balancers; the drain tests
            # pass their own --drain-delay, which comes later and wins.
            "--drain-delay=0s",
            *extra_args])

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.http, path)

    def wait_ready(self):
        wait_until(lambda: health_get(self.health, "/readyz")[0] == 200, START_TIMEOUT,
                   "data plane %s's /readyz to answer 200" % self.node_id, [self.process])

    def get(self, host, path="/", **kwargs):
        return curl(self.url(path), host=host, **kwargs)

    def routed_to(self, host, path="/"):
        """The name of the echo server that answered, or "<status>" when none did."""
        response = self.get(host, path)
        return response.echo_server() or "<%d>" % response.status


# --- clients -----------------------------------------------------------------------------------

def read_until_closed(sock):
    """Every byte the peer sends on `sock` until it closes its side."""
    answer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return answer
        answer += chunk


def health_get(port, path):
    """GET on a plain-HTTP health port; returns (status, body text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def metric(port, name, **labels):
    """The value of the sample `name{labels}` on the health port's /metrics (labels matched
    exactly, in any order), or None when there is no such sample."""
    status, text = health_get(port, "/metrics")
    if status != 200:
        raise AssertionError("/metrics answered %s" % status)
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if found == {key: str(value) for key, value in labels.items()}:
            return float(match.group(3))
    return None


class CurlError(AssertionError):
    pass


class Response:
    def __init__(self, status, headers, body, stderr=""):
        self.status = status
        self.headers = headers  # [(name, value)] in received order, of the final response
        self.body = body
        self.stderr = stderr

    def header_values(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def header(self, name):
        values = self.header_values(name)
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)

    def echo_server(self):
        """The "server" field of an echo server's answer, or None when the body is not one."""
        try:
            answer = self.json()
        except ValueError:
            return None
        return answer.get("server") if isinstance(answer, dict) else None

    def __repr__(self):
        return "Response(%d, %r, %r)" % (self.status, self.headers, self.body[:200])


def _parse_header_file(path):
    """Headers of the last response in a curl --dump-header file (skipping 1xx responses)."""
    with open(path, "rb") as f:
        blocks = f.read().decode("latin-1").replace("\r\n", "\n").strip("\n").split("\n\n")
    lines = blocks[-1].split("\n") if blocks else []
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return headers


def _curl_base(host, method, headers):
    argv = ["curl", "--silent", "--show-error", "--noproxy", "*", "--max-time",
            str(CURL_TIMEOUT)]
    if host is not None:
        argv += ["-H", "Host: " + host]
    if method is not None:
        argv += ["-X", method]
    for name, value in headers:
        argv += ["-H", "%s: %s" % (name, value)]
    return argv


def curl(url, host=None, method=None, headers=(), data=None, chunked=False):
    """One request with curl. `data` is sent with Content-Length, or chunked (from stdin) when
    `chunked`. Raises CurlError when curl gets no HTTP response."""
    with tempfile.TemporaryDirectory(prefix="curl-") as tmp:
        header_file = os.path.join(tmp, "headers")
        body_file = os.path.join(tmp, "body")
        argv = _curl_base(host, method, headers)
        stdin = None
        if data is not None:
            # No "Expect: 100-continue" round trip: the body goes right after the headers.
            argv += ["-H", "Expect:"]
            if chunked:
                argv += ["-T", "-", "-H", "Transfer-Encoding: chunked"]
                stdin = data
            else:
                data_file = os.path.join(tmp, "data")
                with open(data_file, "wb") as f:
                    f.write(data)
                argv += ["--data-binary", "@" + data_file]
        argv += ["--dump-header", header_file, "--output", body_file,
                 "--write-out", "%{http_code}", url]
        result = subprocess.run(argv, input=stdin, capture_output=True,
                                timeout=CURL_TIMEOUT + 5)
        if result.returncode != 0:
            raise CurlError("curl %s failed (exit %d): %s" % (
                url, result.returncode, result.stderr.decode(errors="replace").strip()))
        with open(body_file, "rb") as f:
            body = f.read()
        return Response(int(result.stdout), _parse_header_file(header_file), body,
                        result.stderr.decode(errors="replace"))


def curl_sequence(urls, host=None):
    """GETs every URL with one curl process, which reuses its connection when it can.
    Returns (responses, new_connections): per request, how many connections curl opened for it
    (0 when it reused the previous one)."""
    with tempfile.TemporaryDirectory(prefix="curl-") as tmp:
        argv = _curl_base(host, None, ()) + ["--verbose",
                                             "--write-out", "%{http_code} %{num_connects}\\n"]
        bodies = []
        for i, url in enumerate(urls):
            bodies.append(os.path.join(tmp, "body%d" % i))
            argv += [url, "--output", bodies[-1]]
        result = subprocess.run(argv, capture_output=True, timeout=CURL_TIMEOUT + 5)
        stderr = result.stderr.decode(errors="replace")
        if result.returncode != 0:
            raise CurlError("curl failed (exit %d): %s" % (result.returncode, stderr[-2000:]))
        responses, connects = [], []
        fields = result.stdout.decode().split()
        for i, body_path in enumerate(bodies):
            with open(body_path, "rb") as f:
                responses.append(Response(int(fields[2 * i]), [], f.read(), stderr))
            connects.append(int(fields[2 * i + 1]))
        return responses, connects


def gatehousectl(*args, timeout=30):
    """Runs gatehousectl; returns the CompletedProcess with text output."""
    return subprocess.run([gatehousectl_binary(), *args], capture_output=True, text=True,
                          timeout=timeout)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- steady load -------------------------------------------------------------------------------

class LoadTarget:
    """What a load worker asks for, again and again: GET PATH with Host: HOST on 127.0.0.1:PORT.
    `expected` is the set of echo server names allowed to answer (with 200); None records every
    outcome without judging it, for a test that reads the sequence itself."""

    def __init__(self, port, host, path="/", expected=None):
        self.port = port
        self.host = host
        self.path = path
        self.expected = None if expected is None else frozenset(
            [expected] if isinstance(expected, str) else expected)

    def __repr__(self):
        return "%s%s on :%d" % (self.host, self.path, self.port)


class LoadResult:
    """One request of a SteadyLoad. `start` and `end` are time.monotonic() values; `status` and
    `server` (the echo server that answered) are None when no response came, `error` says why."""

    __slots__ = ("target", "worker", "connection", "start", "end", "status", "server", "error")

    def __init__(self, target, worker, connection, start, end, status, server, error):
        self.target = target
        self.worker = worker
        self.connection = connection  # (worker, n): requests with the same value shared a socket
        self.start = start
        self.end = end
        self.status = status
        self.server = server
        self.error = error

    def ok(self):
        """Whether this request succeeded as its target expects."""
        if self.error is not None or self.status != 200:
            return False
        return self.target.expected is None or self.server in self.target.expected

    def outcome(self):
        """A short label: "200 app", "503", "error: ConnectionResetError ..."."""
        if self.error is not None:
            return "error: " + self.error
        return "%d %s" % (self.status, self.server) if self.server else str(self.status)


def _echo_server_name(body):
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer.get("server") if isinstance(answer, dict) else None


class SteadyLoad:
    """Background requests to data planes while a test breaks something, recording every
    outcome (status and answering echo server, or the connection error).

    Each target gets `keepalive_workers` threads that reuse one HTTP/1.1 connection (opening a new
    one only when the server announced it closes the current one, or after an error) and
    `fresh_workers` threads that open a new connection for every request, so both existing and
    new connections are exercised. A worker starts a request at most every `interval` seconds.
    The load stops by itself after `duration` seconds or `max_requests` requests in all, and the
    test stops it with stop() (or by leaving a `with` block). Only 127.0.0.1 is ever contacted.
    """

    def __init__(self, targets, keepalive_workers=1, fresh_workers=1, duration=60.0,
                 max_requests=100000, interval=0.02, timeout=10.0):
        self.targets = list(targets)
        self.duration = duration
        self.max_requests = max_requests
        self.interval = interval
        self.timeout = timeout
        self._lock = threading.Lock()
        self._results = []
        self._marks = []
        self._issued = 0
        self._stopping = threading.Event()
        self._threads = []
        self.started_at = None
        self._deadline = None
        plan = []
        for target in self.targets:
            plan += [(target, True)] * keepalive_workers + [(target, False)] * fresh_workers
        self._plan = plan

    # Lifecycle.

    def start(self):
        self.started_at = time.monotonic()
        self._deadline = self.started_at + self.duration
        for worker, (target, keepalive) in enumerate(self._plan):
            thread = threading.Thread(target=self._run, args=(worker, target, keepalive),
                                      name="load-%d" % worker, daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self):
        """Stops every worker and waits for the requests in flight; idempotent."""
        first_stop = not self._stopping.is_set()
        self._stopping.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        if first_stop and self.started_at is not None and \
                os.environ.get("GATEHOUSE_TEST_LOAD_SUMMARY") == "1":
            sys.stderr.write("\nsteady load, %.1fs:\n%s\n" % (time.monotonic() - self.started_at,
                                                              self.summary()))
        return self

    def running(self):
        return any(thread.is_alive() for thread in self._threads)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def mark(self, label):
        """Notes an event (shown with its time in failure reports)."""
        with self._lock:
            self._marks.append((time.monotonic(), label))

    # The workers.

    def _run(self, worker, target, keepalive):
        connection = None
        connections = 0
        while not self._stopping.is_set() and time.monotonic() < self._deadline:
            with self._lock:
                if self._issued >= self.max_requests:
                    break
                self._issued += 1
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", target.port,
                                                        timeout=self.timeout)
                connections += 1
            headers = {"Host": target.host}
            if not keepalive:
                headers["Connection"] = "close"
            start = time.monotonic()
            status = server = error = None
            close_after = not keepalive
            try:
                connection.request("GET", target.path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                status = response.status
                server = _echo_server_name(body)
                close_after = close_after or response.will_close
            except (OSError, http.client.HTTPException) as failure:
                error = "%s: %s" % (type(failure).__name__, failure)
                close_after = True
            end = time.monotonic()
            with self._lock:
                self._results.append(LoadResult(target, worker, (worker, connections), start, end,
                                                status, server, error))
            if close_after:
                connection.close()
                connection = None
            self._stopping.wait(max(0.0, start + self.interval - time.monotonic()))
        if connection is not None:
            connection.close()

    # What happened.

    def results(self, target=None):
        """Every result so far (of `target` only, when given), in completion order."""
        with self._lock:
            return [r for r in self._results if target is None or r.target is target]

    def failures(self, target=None):
        return [r for r in self.results(target) if not r.ok()]

    def successes(self, target=None, since=None):
        return sum(1 for r in self.results(target)
                   if r.ok() and (since is None or r.start >= since))

    def wait_for_successes(self, count, timeout, targets=None, processes=()):
        """Waits until `count` requests started from now on succeeded for each of `targets`
        (default: every target): evidence that traffic flows at this point of the test."""
        since = time.monotonic()
        targets = self.targets if targets is None else list(targets)

        def enough():
            if not self.running():
                raise AssertionError("the load stopped (duration or request count reached)")
            if all(self.successes(t, since) >= count for t in targets):
                return True
            # Not yet: what wait_until reports on timeout.
            raise AssertionError("outcomes so far:\n" + self.summary())

        wait_until(enough, timeout, "%d more successful requests per target under load" % count,
                   processes)

    def summary(self):
        """Per target, how many requests had each outcome."""
        lines = []
        for target in self.targets:
            counts = {}
            for result in self.results(target):
                # Errors are counted by kind; their messages are in describe().
                label = ("error: " + result.error.split(":")[0] if result.error
                         else result.outcome())
                counts[label] = counts.get(label, 0) + 1
            lines.append("  %r: %s" % (target, ", ".join(
                "%s x%d" % item for item in sorted(counts.items(), key=lambda kv: -kv[1]))))
        return "\n".join(lines)

    def timeline(self):
        with self._lock:
            marks = list(self._marks)
        return "\n".join("  +%.3fs %s" % (at - self.started_at, label) for at, label in marks)

    def describe(self, results, limit=15):
        """The first `limit` results, with their times since the load started."""
        lines = ["  +%.3fs..+%.3fs worker %d conn %d %r: %s" % (
            r.start - self.started_at, r.end - self.started_at, r.worker, r.connection[1],
            r.target, r.outcome()) for r in results[:limit]]
        if len(results) > limit:
            lines.append("  ... and %d more" % (len(results) - limit))
        return "\n".join(lines)

    def report(self, title, results):
        return "%s:\n%s\noutcomes:\n%s\nevents:\n%s" % (
            title, self.describe(results), self.summary(), self.timeline())

    def assert_no_failures(self, target=None):
        """Raises AssertionError describing every failed request, if there was one; also when no
        request succeeded at all (a load that never ran proves nothing)."""
        failures = self.failures(target)
        if failures:
            raise AssertionError(self.report("%d failed requests under steady load"
                                             % len(failures), failures))
        if self.successes(target) == 0:
            raise AssertionError("no request succeeded under steady load\n" + self.summary())


# --- test case base ----------------------------------------------------------------------------

class GatehouseTestCase(unittest.TestCase):
    """Gives each test class and each test a temporary folder and a process group; stops every
    process afterwards and prints their logs when a test failed (keeping the folder)."""

    keep_files = os.environ.get("GATEHOUSE_TEST_KEEP_FILES") == "1"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.class_dir = tempfile.mkdtemp(prefix="gatehouse-%s-" % cls.__name__)
        cls.class_group = ProcessGroup(cls.class_dir)
        cls.class_failed = False
        cls.addClassCleanup(cls._class_cleanup)

    @classmethod
    def _class_cleanup(cls):
        cls.class_group.stop_all()
        if cls.class_failed or cls.keep_files:
            sys.stderr.write("\n(files of %s kept in %s)\n" % (cls.__name__, cls.class_dir))
        else:
            shutil.rmtree(cls.class_dir, ignore_errors=True)

    @classmethod
    def start_echo_world(cls, make_documents, dataplane_args=(), controlplane_args=(),
                         workers=None):
        """The usual small world for a class: an echo server (cls.echo), the documents
        make_documents(echo) returns written to a manifest folder, a control plane reading it
        (cls.controlplane) and one data plane (cls.dataplane), both ready."""
        with cls.class_logs_on_error():
            cls.echo = EchoServer(cls.class_group, "echo")
            manifests = ManifestDir(os.path.join(cls.class_dir, "manifests"))
            manifests.write("world.yaml", *make_documents(cls.echo))
            cls.controlplane = ControlPlane(cls.class_group, manifests.path,
                                            extra_args=list(controlplane_args))
            cls.controlplane.wait_ready()
            more = {} if workers is None else {"workers": workers}
            cls.dataplane = DataPlane(cls.class_group, cls.controlplane.xds_address, "dp",
                                      extra_args=dataplane_args, **more)
            cls.dataplane.wait_ready()

    @classmethod
    @contextlib.contextmanager
    def class_logs_on_error(cls):
        """For setUpClass: prints the class's process logs when starting them fails."""
        try:
            yield
        except BaseException:
            cls.class_failed = True
            sys.stderr.write("\n----- logs of the processes of %s -----" % cls.__name__)
            cls.class_group.dump_logs(sys.stderr)
            sys.stderr.write("----- end of logs -----\n")
            raise

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="test-", dir=self.class_dir)
        self.group = ProcessGroup(self.dir)

    def _failures(self):
        """The tracebacks of this test's (and its subtests') failures so far."""
        outcome = getattr(self, "_outcome", None)
        if hasattr(outcome, "errors"):  # Python <= 3.10
            return [str(error[1]) for _, error in outcome.errors if error]
        result = getattr(outcome, "result", None)
        return [text for test, text in getattr(result, "failures", []) + getattr(result, "errors", [])
                if test is self or getattr(test, "test_case", None) is self]

    def tearDown(self):
        failures = self._failures()
        if failures:
            type(self).class_failed = True
            # The failure first: a long log below must not push it out of a CI excerpt.
            sys.stderr.write("\n----- %s failed -----\n%s" % (self.id(), "\n".join(failures)))
            sys.stderr.write("\n----- logs of the processes of %s -----" % self.id())
            self.class_group.dump_logs(sys.stderr)
            self.group.dump_logs(sys.stderr)
            sys.stderr.write("----- end of logs -----\n")
        self.group.stop_all()
        super().tearDown()

    # Helpers that start processes in the test's own group.

    def manifest_dir(self, files=None):
        manifests = ManifestDir(os.path.join(self.dir, "manifests"))
        if files:
            manifests.write_world(files)
        return manifests

    def start_controlplane(self, manifests, **kwargs):
        controlplane = ControlPlane(self.group, manifests.path, **kwargs)
        controlplane.wait_ready()
        return controlplane

    def start_dataplanes(self, controlplane, count=2, workers=2, log_level="debug"):
        dataplanes = [DataPlane(self.group, controlplane.xds_address, "dataplane-%d" % (i + 1),
                                workers=workers, log_level=log_level) for i in range(count)]
        for dataplane in dataplanes:
            dataplane.wait_ready()
        return dataplanes
