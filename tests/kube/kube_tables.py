"""Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks for (Accept:
`application/json;as=Table;v=v1;g=meta.k8s.io`), with the columns the real API server prints for
each kind. A client that does not ask for a Table gets the objects.

    {"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"12"},
     "columnDefinitions":[{"name":"Name","type":"string","format":"name",...},...],
     "rows":[{"cells":["web","gatehouse","a.example.com","","80","5m"],
              "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",...}}]}
"""

import calendar
import time


def wants_table(accept):
    return "as=Table" in (accept or "")


def human_age(timestamp):
    """`5s`, `3m`, `2h`, `4d` since an RFC 3339 timestamp, as kubectl prints ages."""
    try:
        then = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = max(0, int(time.time() - then))
    if seconds < 120:
        return "%ds" % seconds
    if seconds < 3 * 3600:
        return "%dm" % (seconds // 60)
    if seconds < 48 * 3600:
        return "%dh" % (seconds // 3600)
    return "%dd" % (seconds // 86400)


def _or_none(text):
    return text if text else "<none>"


def _ingress_hosts(obj):
    hosts = [rule.get("host") or "*" for rule in (obj.get("spec") or {}).get("rules") or []]
    return ",".join(hosts) if hosts else "*"


def _load_balancer(obj):
    entries = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ",".join(e.get("ip") or e.get("hostname") or "" for e in entries)


def _ingress_ports(obj):
    return "80, 443" if (obj.get("spec") or {}).get("tls") else "80"


def _service_ports(obj):
    ports = []
    for port in (obj.get("spec") or {}).get("ports") or []:
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += ":%s" % port["nodePort"]
        ports.append("%s/%s" % (text, port.get("protocol", "TCP")))
    return _or_none(",".join(ports))


def _slice_ports(obj):
    return _or_none(",".join(str(p.get("port")) for p in obj.get("ports") or []))


def _slice_endpoints(obj):
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    text = ",".join(addresses[:3]) + (" + %d more..." % (len(addresses) - 3)
                                      if len(addresses) > 3 else "")
    return text or "<unset>"


def _endpoints(obj):
    pairs = []
    for subset in obj.get("subsets") or []:
        for address in subset.get("addresses") or []:
            for port in subset.get("ports") or [{}]:
                pairs.append("%s:%s" % (address.get("ip"), port.get("port")))
    return _or_none(",".join(pairs))


def _event_object(obj):
    ref = obj.get("involvedObject") or obj.get("regarding") or {}
    return "%s/%s" % ((ref.get("kind") or "").lower(), ref.get("name", ""))


def _get(*path, default=""):
    def read(obj):
        value = obj
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return default if value is None else value
    return read


def _age(obj):
    return human_age((obj.get("metadata") or {}).get("creationTimestamp"))


def _name(obj):
    return (obj.get("metadata") or {}).get("name", "")


COLUMNS = {
    "Ingress": [("Class", _get("spec", "ingressClassName", default="<none>")),
                ("Hosts", _ingress_hosts), ("Address", _load_balancer), ("Ports", _ingress_ports)],
    "IngressClass": [("Controller", _get("spec", "controller")),
                     ("Parameters", lambda o: "<none>" if not (o.get("spec") or {}).get(
                         "parameters") else o["spec"]["parameters"].get("name", ""))],
    "Service": [("Type", _get("spec", "type")), ("Cluster-IP", _get("spec", "clusterIP",
                                                                     default="<none>")),
                ("External-IP", lambda o: _or_none(_load_balancer(o)
                                                   or (o.get("spec") or {}).get("externalName"))),
                ("Port(s)", _service_ports)],
    "Endpoints": [("Endpoints", _endpoints)],
    "EndpointSlice": [("AddressType", _get("addressType")), ("Ports", _slice_ports),
                      ("Endpoints", _slice_endpoints)],
    "Secret": [("Type", _get("type")), ("Data", lambda o: len(o.get("data") or {}))],
    "Namespace": [("Status", _get("status", "phase"))],
    "Lease": [("Holder", _get("spec", "holderIdentity"))],
    "Event": [("Type", _get("type")), ("Reason", _get("reason")), ("Object", _event_object),
              ("Message", lambda o: o.get("message") or o.get("note") or "")],
}


def table(kind, objects, list_metadata, include_object="Metadata"):
    """A Table of `objects` (full objects with metadata)."""
    columns = [("Name", _name)] + COLUMNS.get(kind, []) + [("Age", _age)]
    definitions = [{"name": name, "type": "integer" if name == "Data" else "string",
                    "format": "name" if name == "Name" else "", "description": "",
                    "priority": 0} for name, _ in columns]
    rows = []
    for obj in objects:
        row = {"cells": [read(obj) for _, read in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj.get("metadata") or {}}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_metadata,
            "columnDefinitions": definitions, "rows": rows}
