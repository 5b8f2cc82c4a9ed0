"""Kubernetes manifests for the integration tests, written as YAML into a folder the control plane
watches (--source=file:DIR).

The builders return plain dicts shaped like the Kubernetes objects; to_yaml() renders them as
block YAML, so the control plane reads what a user would write. All objects live in namespace
"default" and every Service exposes port 80 named "http".
"""

import base64
import json
import os
import re

# Strings YAML reads back unchanged without quotes; anything else (numbers, booleans, "*" aliases,
# leading digits) is double-quoted.
_PLAIN = re.compile(r"[A-Za-z/_][A-Za-z0-9/._-]*")
_KEYWORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    # A double-quoted YAML scalar accepts JSON string syntax.
    return json.dumps(text)


def _emit(value, indent, lines):
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append("%s%s:" % (pad, key))
                _emit(item, indent + 1, lines)
            else:
                lines.append("%s%s: %s" % (pad, key, _inline(item)))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = []
                _emit(item, indent + 1, nested)
                # The first line of the nested block carries the "- " marker.
                nested[0] = pad + "- " + nested[0][len(pad) + 2:]
                lines.extend(nested)
            else:
                lines.append("%s- %s" % (pad, _inline(item)))
    else:
        lines.append(pad + _scalar(value))


def _inline(value):
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(*documents):
    """Renders the documents as one multi-document YAML file."""
    rendered = []
    for document in documents:
        lines = []
        _emit(document, 0, lines)
        rendered.append("\n".join(lines) + "\n")
    return "---\n".join(rendered)


def ingress_class(name="gatehouse", default=True):
    metadata = {"name": name}
    if default:
        metadata["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": metadata,
        "spec": {"controller": "gatehouse.dev/ingress-controller"},
    }


def service(name, target_port, cluster_ip=None, port=80):
    spec = {
        "selector": {"app": name},
        "ports": [{"name": "http", "port": port, "targetPort": target_port, "protocol": "TCP"}],
    }
    if cluster_ip is not None:
        spec["clusterIP"] = cluster_ip
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def endpoint_slice(service_name, addresses, port, ready=True, name=None):
    """One EndpointSlice of `service_name`: every address at `port`, all with the same readiness."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name or service_name + "-slice",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
        "endpoints": [{"addresses": [address], "conditions": {"ready": ready}}
                      for address in addresses],
    }


def backed_service(name, host, port, ready=True):
    """A Service and its EndpointSlice with one endpoint at host:port."""
    return [service(name, port), endpoint_slice(name, [host], port, ready=ready)]


def backend(service_name, port=80):
    return {"service": {"name": service_name, "port": {"number": port}}}


def path(path_value, path_type, service_name):
    return {"path": path_value, "pathType": path_type, "backend": backend(service_name)}


def rule(host, *paths):
    """A rule for `host` (None: any host) with the given path() entries."""
    value = {"http": {"paths": list(paths)}}
    if host is not None:
        value = {"host": host, **value}
    return value


def ingress(name, rules=(), default_backend=None, class_name="gatehouse", annotations=None,
            tls=None):
    """`tls`: spec.tls, as {secret name: [hosts]}."""
    spec = {}
    if class_name is not None:
        spec["ingressClassName"] = class_name
    if tls:
        spec["tls"] = [{"hosts": list(hosts), "secretName": secret}
                       for secret, hosts in tls.items()]
    if default_backend is not None:
        spec["defaultBackend"] = backend(default_backend)
    if rules:
        spec["rules"] = list(rules)
    metadata = {"name": name, "namespace": "default"}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": spec,
    }


def secret(name, data, secret_type="Opaque", namespace="default"):
    """A Secret holding `data` ({key: bytes or str}), base64-encoded as the API server keeps it
    (what `kubectl create secret generic --from-file` makes)."""
    encoded = {}
    for key, value in data.items():
        raw = value.encode() if isinstance(value, str) else value
        encoded[key] = base64.b64encode(raw).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": secret_type,
            "metadata": {"name": name, "namespace": namespace}, "data": encoded}


def annotated_site(name, host, annotations, service_name="echo"):
    """An Ingress sending every path of `host` to `service_name`, with `annotations`."""
    return ingress(name, rules=[rule(host, path("/", "Prefix", service_name))],
                   annotations=annotations)


def nginx_site(name, **annotations):
    """An Ingress sending every path of NAME.test to the Service echo, with the ingress-nginx
    annotations given by their names without the prefix (limit_rps or "limit-rps")."""
    return annotated_site(name, name + ".test", {
        "nginx.ingress.kubernetes.io/" + key.replace("_", "-"): value
        for key, value in annotations.items()})


def echo_world(echo, host="echo.test"):
    """Our IngressClass, Service "echo" backed by the echo server `echo`, and an Ingress sending
    every path of `host` to it: the world most tests start from."""
    return [ingress_class(), *backed_service("echo", echo.host, echo.port),
            ingress("echo", rules=[rule(host, path("/", "Prefix", "echo"))])]


class ManifestDir:
    """A folder of manifest files. Writes are atomic (a rename into the folder), so the control
    plane never reads a half-written file."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)

    def write(self, filename, *documents):
        self.write_text(filename, to_yaml(*documents))

    def write_text(self, filename, text):
        # The temporary file sits next to the folder, not in it, so it is never watched.
        staging = os.path.join(os.path.dirname(self.path), ".staging-" + filename)
        with open(staging, "w") as f:
            f.write(text)
        os.replace(staging, os.path.join(self.path, filename))

    def write_world(self, files):
        """Writes {filename: [documents]}."""
        for filename, documents in files.items():
            self.write(filename, *documents)

    def remove(self, filename):
        os.remove(os.path.join(self.path, filename))
