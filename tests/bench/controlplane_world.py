"""The generated world of controlplane_bench.sh, as a folder the control plane reads with
--source=file:DIR.

  python3 tests/bench/controlplane_world.py generate DIR [--ingresses N] [--endpoints M]
  python3 tests/bench/controlplane_world.py change DIR

generate writes the IngressClass "gatehouse" (the default class) and N Ingresses, N Services and
N EndpointSlices with M endpoints in all (M/N each, ready, in 10.0.0.0/8: data only, nothing ever
connects to them), 50 objects to a multi-document file: a few hundred files. Ingress I has one
rule, host svc-I.team-K.bench.example, path / (Prefix) to Service svc-I port 80, in namespace
team-K (K = I mod 100).

change moves the first endpoint of svc-0 to another address in its file, written whole to a
temporary file and renamed over the old one (as an editor or a ConfigMap update does), and prints
the wall-clock time of the rename in nanoseconds since the Unix epoch. Run again, it moves it back.
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
          - path: /
            pathType: Prefix
            backend:
              service:
                name: svc-{i}
                port:
                  number: 80
"""

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


def generate(folder, ingresses, endpoints):
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
            routes.append(INGRESS.format(i=i, ns=ns))
        with open(os.path.join(folder, "10-services-%04d.yaml" % (start // CHUNK)), "w") as f:
            f.write("---\n".join(services))
        with open(os.path.join(folder, "20-ingresses-%04d.yaml" % (start // CHUNK)), "w") as f:
            f.write("---\n".join(routes))
    print("%d files, %d Ingresses, %d Services, %d endpoints" %
          (len(os.listdir(folder)), ingresses, ingresses, next_endpoint))


def change(folder):
    path = os.path.join(folder, "10-services-0000.yaml")
    with open(path) as f:
        text = f.read()
    old, new = '"%s"' % MOVED_FROM, '"%s"' % MOVED_TO
    if old not in text:
        old, new = new, old
    text = text.replace(old, new, 1)
    # Not *.yaml, so the control plane never reads the half-written file.
    temporary = os.path.join(folder, ".10-services-0000.yaml.tmp")
    with open(temporary, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(temporary, path)
    print(time.time_ns())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["generate", "change"])
    parser.add_argument("folder")
    parser.add_argument("--ingresses", type=int, default=10000)
    parser.add_argument("--endpoints", type=int, default=100000)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.folder, args.ingresses, args.endpoints)
    else:
        change(args.folder)


if __name__ == "__main__":
    main()
