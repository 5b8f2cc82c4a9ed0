#!/usr/bin/env bash
# A data plane applying a large route config (issue 7): how long it takes, and the longest any
# worker's event loop stays busy meanwhile (while a worker is busy, its requests wait).
#
#   bash tests/bench/config_apply_bench.sh [--ingresses 10000] [--paths 10] [--workers 2]
#                                          [--changes 5]
#
# Builds the release preset, writes a world of N Ingresses with P paths each (N × P routes,
# tests/bench/controlplane_world.py), runs the control plane on it and one data plane with W
# workers, all on 127.0.0.1, and waits for the data plane to be ready. Then, --changes times, a
# second apart, it adds or removes one path (a new route config: the data plane builds its whole
# route table again and every worker switches to it), while wrk keeps 16 keep-alive connections
# busy with requests the data plane answers itself (404, unknown host), and reports: the time
# from the file's rename
# until the data plane applied the routes, the data plane's own build-and-apply time (its log),
# and, from the gatehouse_dataplane_worker_busy_seconds histogram before and after, the longest
# turn any worker's loop took. Nothing here is a pass/fail check: it measures.
set -euo pipefail
cd "$(dirname "$0")/../.."

ingresses=10000
paths=10
workers=2
changes=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ingresses) ingresses="$2"; shift 2 ;;
    --paths) paths="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --changes) changes="$2"; shift 2 ;;
    *) echo "config_apply_bench.sh: unknown argument \"$1\"" >&2; exit 2 ;;
  esac
done

cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target gatehouse-controlplane gatehouse-dataplane \
  >/dev/null

work=$(mktemp -d /tmp/gatehouse-applybench-XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 tests/bench/controlplane_world.py generate "$work/world" --ingresses "$ingresses" \
  --endpoints "$ingresses" --paths "$paths" >"$work/world.txt"

python3 - "$work" "$workers" "$changes" <<'EOF'
import re, socket, subprocess, sys, time, urllib.request

work, workers, changes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ROUTES = "type.googleapis.com/gatehouse.v1.RouteConfiguration"
TARGET_MS = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, process, what, limit=300):
    deadline = time.time() + limit
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit("%s exited; see its log in %s" % (what, work))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("%s not ready after %d s" % (what, limit))


def busy_buckets(port):
    """{worker: [(upper bound in s, cumulative count), ...]} from the data plane's /metrics."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    out = {}
    pattern = r'gatehouse_dataplane_worker_busy_seconds_bucket\{le="([^"]+)",worker="(\d+)"\} (\d+)'
    for le, worker, count in re.findall(pattern, text):
        out.setdefault(worker, []).append((float(le), int(count)))
    return out


def longest_turn(before, after):
    """The upper bound (ms) of the highest bucket any worker's loop reached between the two
    scrapes, and how many turns took longer than TARGET_MS."""
    highest, over = 0.0, 0
    for worker, buckets in after.items():
        previous = 0
        for (le, count), (_, old) in zip(buckets, before[worker]):
            in_bucket = (count - old) - previous
            previous = count - old
            if in_bucket > 0:
                highest = max(highest, le)
                if le > TARGET_MS / 1000:
                    over += in_bucket
    return highest * 1000, over


xds, cp_health, dp_health, dp_http = free_port(), free_port(), free_port(), free_port()
controlplane = subprocess.Popen(
    ["build/release/bin/gatehouse-controlplane", "--source=file:%s/world" % work,
     "--xds-listen=127.0.0.1:%d" % xds, "--admin-listen=127.0.0.1:0",
     "--health-listen=127.0.0.1:%d" % cp_health],
    stderr=open(work + "/controlplane.log", "w"))
dataplane = None
try:
    wait_ready(cp_health, controlplane, "the control plane")
    started = time.time()
    dataplane = subprocess.Popen(
        ["build/release/bin/gatehouse-dataplane", "--xds-server=127.0.0.1:%d" % xds,
         "--workers=%d" % workers, "--http-listen=127.0.0.1:%d" % dp_http,
         "--admin-listen=127.0.0.1:0", "--health-listen=127.0.0.1:%d" % dp_health],
        stderr=open(work + "/dataplane.log", "w"))
    wait_ready(dp_health, dataplane, "the data plane")
    load = subprocess.Popen(
        ["wrk", "-t1", "-c16", "-d%ds" % (changes * 3 + 30), "-H", "Host: unknown.example",
         "http://127.0.0.1:%d/" % dp_http], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    print(open(work + "/world.txt").read().strip(), "; data plane with %d workers" % workers)
    print("first config: data plane start → ready %.0f ms" % ((time.time() - started) * 1000))
    print()
    print("%-8s %-22s %-26s %-34s" % ("change", "rename → applied", "data plane build+apply",
                                      "longest worker loop turn"))
    worst = 0.0
    for k in range(1, changes + 1):
        time.sleep(1)
        applied_before = open(work + "/dataplane.log").read().count("applied " + ROUTES)
        before = busy_buckets(dp_health)
        renamed = int(subprocess.check_output(
            [sys.executable, "tests/bench/controlplane_world.py", "route-change",
             work + "/world"]).decode())
        deadline = time.time() + 120
        while True:
            lines = [l for l in open(work + "/dataplane.log") if "applied " + ROUTES in l]
            if len(lines) > applied_before:
                break
            if time.time() > deadline:
                sys.exit("routes not applied within 120 s; see %s" % work)
            time.sleep(0.005)
        applied_ns = time.time_ns()
        build_ms = int(re.search(r" in (\d+) ms", lines[-1]).group(1))
        time.sleep(0.3)  # every worker has switched by now
        highest, over = longest_turn(before, busy_buckets(dp_health))
        worst = max(worst, highest)
        print("%-8d %-22s %-26s %-34s" % (
            k, "%.0f ms" % ((applied_ns - renamed) / 1e6), "%d ms" % build_ms,
            "≤ %g ms (%d turns over %d ms)" % (highest, over, TARGET_MS)))
    print()
    load.terminate()
    print("longest worker loop turn over all changes: ≤ %g ms (target: no worker paused over "
          "%d ms)" % (worst, TARGET_MS))
finally:
    for process in (dataplane, controlplane):
        if process is not None:
            process.terminate()
            process.wait()
EOF
