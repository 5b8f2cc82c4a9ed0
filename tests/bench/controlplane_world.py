"""The generated world of controlplane_bench.sh, as a folder the control plane reads with
--source=file:DIR.

  python3 tests/bench/controlplane_world.py generate DIR [--ingresses N] [--endpoints M]
  python3 tests/bench/controlplane_world.py change DIR
  python3 tests/bench/controlplane_world.py route-change DIR

generate writes the IngressClass "gatehouse" (the default class) and N Ingresses, N Services and
N EndpointSlices with M endpoints in all (M/N each, ready, in 10.0.0.0/8: data only, nothing ever
connects to them), 50 objects to a multi-document file: a few hundred files. Ingress I has one
rule, host svc-I.team-K.bench.example, path / (Prefix) to Service svc-I port 80, in namespace
team-K (K = I mod 100).

change moves the first endpoint of svc-0 to another address in its file, written whole to a
temporary file and renamed over the old one (as an editor or a ConfigMap update does), and prints
the wall-clock time of the rename in nanoseconds since the Unix epoch. Run again, it moves it back.

--paths P gives each Ingress rule P paths (/, /p1, ... /p{P-1}, all Prefix, same backend), so the
world has N × P routes. route-change adds the path /extra to Ingress svc-0 (or, run again,
removes it) the same way: a change to the routes, which every data plane rebuilds its route table
for.
"""

import argparse
import os
import time

CHUNK = 50
NAMESPACES = 100
MOVED_FROM = "10.0.0.1"
MOVED_TO = "10.255.255.254"

INGRESS_CLASS = """apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: gatehouse
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: gatehouse.dev/ingress-controller
"""

INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: svc-{i}
  namespace: team-{ns}
spec:
  ingressClassName: gatehouse
  rules:
    - host: svc-{i}.team-{ns}.bench.example
      http:
        paths:
{paths}"""

PATH = """          - path: {path}
            pathType: Prefix
            backend:
              service:
                name: svc-{i}
                port:
                  number: 80
"""
EXTRA_PATH = "/extra"

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
  namespace: team-{ns}
spec:
  selector:
    app: svc-{i}
  ports:
    - name: http
      port: 80
      targetPort: 8080
      protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-{i}-abcde
  namespace: team-{ns}
  labels:
    kubernetes.io/service-name: svc-{i}
addressType: IPv4
ports:
  - name: http
    port: 8080
    protocol: TCP
endpoints:
{endpoints}"""

ENDPOINT = """  - addresses: ["{ip}"]
    conditions:
      ready: true
"""


def address(n):
    """The n-th endpoint address (n from 0): 10.0.0.1, 10.0.0.2, ... skipping .0 and .255."""
    return "10.%d.%d.%d" % (n // 63500 % 256, n // 254 % 250, n % 254 + 1)


def ingress(i, ns, paths):
    text = "".join(PATH.format(path="/" if p == 0 else "/p%d" % p, i=i) for p in range(paths))
    return INGRESS.format(i=i, ns=ns, paths=text)


def generate(folder, ingresses, endpoints, paths):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "00-ingressclass.yaml"), "w") as f:
        f.write(INGRESS_CLASS)
    next_endpoint = 0
    for start in range(0, ingresses, CHUNK):
        services, routes = [], []
        for i in range(start, min(start + CHUNK, ingresses)):
            ns = i % NAMESPACES
            count = endpoints // ingresses + (1 if i < endpoints % ingresses else 0)
            ips = "".join(ENDPOINT.format(ip=address(next_endpoint + e)) for e in range(count))
            next_endpoint += count
            services.append(SERVICE.format(i=i, ns=ns, endpoints=ips or "  []\n"))
            routes.append(ingress(i, ns, paths))
        with open(os.path.join(folder, "10-services-%04d.yaml" % (start // CHUNK)), "w") as f:
            f.write("---\n".join(services))
        with open(os.path.join(folder, "20-ingresses-%04d.yaml" % (start // CHUNK)), "w") as f:
            f.write("---\n".join(routes))
    print("%d files, %d Ingresses, %d Services, %d endpoints, %d routes" %
          (len(os.listdir(folder)), ingresses, ingresses, next_endpoint, ingresses * paths))


def replace_file(folder, name, text):
    """Writes `text` to a temporary file and renames it over folder/name; returns the rename's
    wall-clock time in nanoseconds."""
    # Not *.yaml, so the control plane never reads the half-written file.
    path = os.path.join(folder, name)
    temporary = os.path.join(folder, "." + name + ".tmp")
    with open(temporary, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temporary, path)
    return time.time_ns()


def change(folder):
    name = "10-services-0000.yaml"
    with open(os.path.join(folder, name)) as f:
        text = f.read()
    old, new = '"%s"' % MOVED_FROM, '"%s"' % MOVED_TO
    if old not in text:
        old, new = new, old
    print(replace_file(folder, name, text.replace(old, new, 1)))


def route_change(folder):
    name = "20-ingresses-0000.yaml"
    with open(os.path.join(folder, name)) as f:
        text = f.read()
    first = text.split("---\n")
    extra = PATH.format(path=EXTRA_PATH, i=0)
    if extra in first[0]:
        first[0] = first[0].replace(extra, "")
    else:
        first[0] += extra
    print(replace_file(folder, name, "---\n".join(first)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["generate", "change", "route-change"])
    parser.add_argument("folder")
    parser.add_argument("--ingresses", type=int, default=10000)
    parser.add_argument("--endpoints", type=int, default=100000)
    parser.add_argument("--paths", type=int, default=1)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.folder, args.ingresses, args.endpoints, args.paths)
    elif args.command == "change":
        change(args.folder)
    else:
        route_change(args.folder)


if __name__ == "__main__":
    main()
