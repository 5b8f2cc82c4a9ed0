"""The integration tests' harness: real Gatehouse processes and echo upstreams on 127.0.0.1,
driven with curl.

- Ports are chosen free at run time (bind 127.0.0.1:0).
- Every process logs to a file in the test's temporary folder; when a test fails, the logs of
  every process it used are printed.
- Waiting is always polling a condition with a deadline, never a fixed sleep.

The binaries come from GATEHOUSE_CONTROLPLANE, GATEHOUSE_DATAPLANE and GATEHOUSECTL (CTest sets
them), else from build/dev/bin.
"""

import contextlib
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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

    def __init__(self, group, name, host="127.0.0.1", port=None, server_header=None):
        self.name = name
        self.host = host
        self.port = port or free_port()
        argv = [sys.executable, ECHO_SERVER, "--listen", "%s:%d" % (host, self.port),
                "--name", name]
        if server_header:
            argv += ["--server-header", server_header]
        self.process = group.start("echo-" + name, argv)
        wait_until(self._accepts, START_TIMEOUT, "echo server %s to listen" % name,
                   [self.process])

    def _accepts(self):
        with socket.create_connection((self.host, self.port), timeout=1):
            return True


class ControlPlane:
    def __init__(self, group, manifest_dir, xds=None, admin=None, health=None, extra_args=()):
        self.manifest_dir = manifest_dir
        self.xds = xds or free_port()
        self.admin = admin or free_port()
        self.health = health or free_port()
        self.process = group.start("controlplane", [
            controlplane_binary(),
            "--source=file:" + manifest_dir,
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
    def __init__(self, group, xds_servers, node_id, workers=2):
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
            "--log-level=debug"])

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

def health_get(port, path):
    """GET on a plain-HTTP health port; returns (status, body text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


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

    def _failed(self):
        """Whether this test (or one of its subtests) has failed so far."""
        outcome = getattr(self, "_outcome", None)
        if hasattr(outcome, "errors"):  # Python <= 3.10
            return any(error for _, error in outcome.errors)
        result = getattr(outcome, "result", None)
        for test, _ in getattr(result, "failures", []) + getattr(result, "errors", []):
            if test is self or getattr(test, "test_case", None) is self:
                return True
        return False

    def tearDown(self):
        if self._failed():
            type(self).class_failed = True
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

    def start_dataplanes(self, controlplane, count=2, workers=2):
        dataplanes = [DataPlane(self.group, controlplane.xds_address, "dataplane-%d" % (i + 1),
                                workers=workers) for i in range(count)]
        for dataplane in dataplanes:
            dataplane.wait_ready()
        return dataplanes
