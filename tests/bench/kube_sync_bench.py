"""The control plane's initial sync from the Kubernetes API (issue 4): N Ingresses, N Services
and N EndpointSlices (E endpoints each) in the test API server (tests/kube), loaded from a state
file so the server starts with them, then the control plane started with --source=kubernetes:
the time until every kind is listed and the config published (/readyz answers 200), and the
control plane's peak RSS. Run it through kube_sync_bench.sh, which builds what it needs.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
from kube_fixture import KubeApiServer  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def world(count, endpoints):
    rv = 1
    def meta(name, ns=None, labels=None):
        nonlocal rv
        rv += 1
        out = {"name": name, "uid": "00000000-0000-0000-0000-%012d" % rv,
               "resourceVersion": str(rv), "creationTimestamp": "2026-01-01T00:00:00Z"}
        if ns:
            out["namespace"] = ns
        if labels:
            out["labels"] = labels
        return out
    objects = {"ingressclasses": [{
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": dict(meta("gatehouse"), annotations={
            "ingressclass.kubernetes.io/is-default-class": "true"}),
        "spec": {"controller": "gatehouse.dev/ingress-controller"}}],
        "ingresses": [], "services": [], "endpointslices": []}
    for i in range(count):
        ns = "team-%d" % (i % 100)
        name = "svc-%d" % i
        objects["services"].append({
            "apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns),
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080,
                                "protocol": "TCP"}]}})
        objects["endpointslices"].append({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": meta(name + "-abcde", ns, {"kubernetes.io/service-name": name}),
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080}],
            "endpoints": [{"addresses": ["10.%d.%d.%d" % (i // 65000 % 250, i // 250 % 260 % 250,
                                                          e + 1)],
                           "conditions": {"ready": True}} for e in range(endpoints)]})
        objects["ingresses"].append({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta(name, ns),
            "spec": {"ingressClassName": "gatehouse", "rules": [{
                "host": "%s.%s.bench.example" % (name, ns), "http": {"paths": [{
                    "path": "/", "pathType": "Prefix", "backend": {"service": {
                        "name": name, "port": {"number": 80}}}}]}}]}})
    return {"resourceVersion": rv, "objects": objects}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--endpoints", type=int, default=1)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="gatehouse-kubesync-")
    with open(os.path.join(work, "state.json"), "w") as f:
        json.dump(world(args.objects, args.endpoints), f)
    with KubeApiServer(workdir=work) as kube:
        health = free_port()
        log = open(os.path.join(work, "controlplane.log"), "w")
        started = time.monotonic()
        controlplane = subprocess.Popen(
            ["build/release/bin/gatehouse-controlplane", "--source=kubernetes",
             "--kubeconfig=" + kube.kubeconfig, "--xds-listen=127.0.0.1:0",
             "--admin-listen=127.0.0.1:0", "--health-listen=127.0.0.1:%d" % health],
            stderr=log)
        try:
            while True:
                if controlplane.poll() is not None:
                    sys.exit("the control plane exited; see %s" % work)
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % health,
                                                timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                time.sleep(0.02)
            ready = time.monotonic() - started
            with open("/proc/%d/status" % controlplane.pid) as status:
                hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        finally:
            controlplane.terminate()
            controlplane.wait()
    listed = [line for line in open(os.path.join(work, "controlplane.log"))
              if "listed " in line or "rebuilt in" in line]
    print("%d Ingresses, %d Services, %d EndpointSlices (%d endpoints each), from the test API "
          "server" % (args.objects, args.objects, args.objects, args.endpoints))
    print("  start -> every kind listed and the config published (/readyz 200): %.2f s" % ready)
    print("  control-plane peak RSS (VmHWM): %.0f MiB" % (hwm / 1024))
    for line in listed[:8]:
        print("   ", line.split("] ", 1)[-1].rstrip())


if __name__ == "__main__":
    main()
