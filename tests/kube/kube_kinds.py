"""The kinds this API server serves, with what the real API server does for each beyond storing
it: defaults filled in, validation (422 Invalid), immutable fields, status subresources, field
selectors, strategic-merge-patch list keys, and the events.k8s.io/v1 view of core v1 Events.

Each `Resource` is one REST resource (group, version, plural name). Two resources may share one
storage: `events` (core v1) and `events.events.k8s.io` (events.k8s.io/v1) are two views of the
same objects, as in a real cluster.
"""

import base64
import binascii
import re

from kube_status import bad_request

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
METADATA_FIELDS = ("metadata.name", "metadata.namespace")

# Strategic-merge-patch list keys every kind shares (metadata is the same type everywhere).
_METADATA_LISTS = {("metadata", "ownerReferences"): "uid", ("metadata", "finalizers"): ""}


class Resource:
    """One REST resource. Hooks `prepare(obj, old, context)` fill in defaults and return a list of
    validation causes (field, cause type, message); `old` is None on create."""

    def __init__(self, group, version, plural, kind, namespaced, short_names=(), categories=(),
                 singular=None, storage=None, status_subresource=False,
                 unconditional_update=True, create_on_update=False, field_labels=(),
                 field_paths=None, list_strategies=None, prepare=None, name_pattern=None,
                 to_view=None, from_view=None, generation=False):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.singular = singular or kind.lower()
        self.storage = storage or plural
        self.status_subresource = status_subresource
        self.unconditional_update = unconditional_update
        self.create_on_update = create_on_update
        self.field_labels = set(METADATA_FIELDS) | set(field_labels)
        self.field_paths = field_paths or {}
        self.list_strategies = {**_METADATA_LISTS, **(list_strategies or {})}
        self.prepare = prepare or (lambda obj, old, context: [])
        self.name_pattern = name_pattern or (_DNS_SUBDOMAIN, "a lowercase RFC 1123 subdomain")
        self.to_view = to_view or (lambda obj: obj)
        self.from_view = from_view or (lambda obj: obj)
        # Whether the real API server keeps metadata.generation for this kind.
        self.generation = generation

    @property
    def api_version(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def group_version(self):
        return self.api_version

    def field_path(self, label):
        return self.field_paths.get(label, label)

    def __repr__(self):
        return "Resource(%s)" % self.api_version + "/" + self.plural


# --- per-kind defaults and validation -------------------------------------------------------------

def _required(field):
    return (field, "FieldValueRequired", "Required value")


def _immutable(field):
    return (field, "FieldValueInvalid", "field is immutable")


def _spec_of(obj):
    spec = obj.get("spec")
    if spec is None:
        spec = obj["spec"] = {}
    return spec


def _prepare_ingress(obj, old, context):
    causes = []
    spec = _spec_of(obj)
    if not isinstance(spec, dict):
        return [("spec", "FieldValueInvalid", "must be an object")]
    for i, rule in enumerate(spec.get("rules") or []):
        http = (rule or {}).get("http") or {}
        paths = http.get("paths")
        if "http" in (rule or {}) and not paths:
            causes.append(_required("spec.rules[%d].http.paths" % i))
        for j, path in enumerate(paths or []):
            where = "spec.rules[%d].http.paths[%d]" % (i, j)
            path_type = path.get("pathType")
            if path_type is None:
                causes.append((where + ".pathType", "FieldValueRequired",
                               "Required value: pathType must be specified"))
            elif path_type not in ("Exact", "Prefix", "ImplementationSpecific"):
                causes.append((where + ".pathType", "FieldValueNotSupported",
                               'Unsupported value: "%s": supported values: "Exact", '
                               '"ImplementationSpecific", "Prefix"' % path_type))
            elif path_type in ("Exact", "Prefix") and not str(path.get("path", "")).startswith("/"):
                causes.append((where + ".path", "FieldValueInvalid",
                               'Invalid value: "%s": must be an absolute path'
                               % path.get("path", "")))
            backend = path.get("backend") or {}
            if not backend.get("service") and not backend.get("resource"):
                causes.append(_required(where + ".backend"))
    if old is None:
        obj["status"] = {"loadBalancer": {}}
    return causes


def _prepare_ingress_class(obj, old, context):
    spec = _spec_of(obj)
    if not spec.get("controller"):
        return [_required("spec.controller")]
    if old is not None and spec.get("controller") != (old.get("spec") or {}).get("controller"):
        return [_immutable("spec.controller")]
    return []


def _prepare_service(obj, old, context):
    causes = []
    spec = _spec_of(obj)
    old_spec = (old or {}).get("spec") or {}
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    service_type = spec["type"]
    if service_type not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        causes.append(("spec.type", "FieldValueNotSupported",
                       'Unsupported value: "%s": supported values: "ClusterIP", "ExternalName", '
                       '"LoadBalancer", "NodePort"' % service_type))
    ports = spec.get("ports") or []
    if service_type != "ExternalName" and not ports:
        causes.append(_required("spec.ports"))
    for i, port in enumerate(ports):
        number = port.get("port")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
            causes.append(("spec.ports[%d].port" % i, "FieldValueInvalid",
                           "Invalid value: %r: must be between 1 and 65535, inclusive" % (number,)))
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = number
        if len(ports) > 1 and not port.get("name"):
            causes.append(_required("spec.ports[%d].name" % i))
    if service_type == "ExternalName":
        if not spec.get("externalName"):
            causes.append(_required("spec.externalName"))
        return causes
    cluster_ip = spec.get("clusterIP") or old_spec.get("clusterIP")
    if old is not None and old_spec.get("clusterIP") and cluster_ip != old_spec.get("clusterIP"):
        causes.append(_immutable("spec.clusterIP"))
    if not cluster_ip and not causes:
        cluster_ip = context.allocate_cluster_ip()
    spec["clusterIP"] = cluster_ip
    spec["clusterIPs"] = [cluster_ip]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if service_type in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
        old_node_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []}
        for port in ports:
            if not port.get("nodePort"):
                port["nodePort"] = (old_node_ports.get(port.get("port"))
                                    or context.allocate_node_port())
    if old is None:
        obj["status"] = {"loadBalancer": {}}
    return causes


def _prepare_secret(obj, old, context):
    causes = []
    string_data = obj.pop("stringData", None)
    if string_data:
        data = obj.get("data") or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    obj.setdefault("type", "Opaque")
    for key, value in (obj.get("data") or {}).items():
        try:
            base64.b64decode(value or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: illegal "
                              "base64 data in data[%s]" % key) from None
    if obj["type"] == "kubernetes.io/tls":
        data = obj.get("data") or {}
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                causes.append(_required("data[%s]" % key))
    if old is not None:
        if obj["type"] != old.get("type", "Opaque"):
            causes.append(_immutable("type"))
        if old.get("immutable") and (obj.get("data") != old.get("data")
                                     or not obj.get("immutable")):
            causes.append(("data", "FieldValueForbidden",
                           "Forbidden: field is immutable when `immutable` is set"))
    return causes


def _prepare_endpoint_slice(obj, old, context):
    causes = []
    address_type = obj.get("addressType")
    if address_type is None:
        causes.append(_required("addressType"))
    elif address_type not in ("IPv4", "IPv6", "FQDN"):
        causes.append(("addressType", "FieldValueNotSupported",
                       'Unsupported value: "%s": supported values: "FQDN", "IPv4", "IPv6"'
                       % address_type))
    elif old is not None and address_type != old.get("addressType"):
        causes.append(_immutable("addressType"))
    obj.setdefault("endpoints", None)
    obj.setdefault("ports", None)
    for i, endpoint in enumerate(obj.get("endpoints") or []):
        if not endpoint.get("addresses"):
            causes.append(_required("endpoints[%d].addresses" % i))
    return causes


def _prepare_namespace(obj, old, context):
    _spec_of(obj).setdefault("finalizers", ["kubernetes"])
    if old is None:
        obj["status"] = {"phase": "Active"}
    labels = obj["metadata"].get("labels") or {}
    labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    obj["metadata"]["labels"] = labels
    return []


# --- events.k8s.io/v1 view of core v1 Events ------------------------------------------------------

_CORE_TO_EVENTS_V1 = {
    "involvedObject": "regarding",
    "message": "note",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
    "reportingComponent": "reportingController",
}
_EVENTS_V1_TO_CORE = {v: k for k, v in _CORE_TO_EVENTS_V1.items()}


def _renamed(obj, names, api_version):
    out = {names.get(key, key): value for key, value in obj.items()}
    out["apiVersion"] = api_version
    return out


def core_event_to_events_v1(obj):
    return _renamed(obj, _CORE_TO_EVENTS_V1, "events.k8s.io/v1")


def events_v1_to_core_event(obj):
    return _renamed(obj, _EVENTS_V1_TO_CORE, "v1")


_OBJECT_REFERENCE_FIELDS = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                            "fieldPath")


# --- the table ------------------------------------------------------------------------------------

RESOURCES = [
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True, short_names=["ing"],
             status_subresource=True, prepare=_prepare_ingress, generation=True),
    Resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False,
             prepare=_prepare_ingress_class, generation=True),
    Resource("", "v1", "services", "Service", True, short_names=["svc"], categories=["all"],
             status_subresource=True, prepare=_prepare_service,
             name_pattern=(_DNS_1035_LABEL, "a DNS-1035 label"),
             list_strategies={("spec", "ports"): "port", ("status", "conditions"): "type"}),
    Resource("", "v1", "endpoints", "Endpoints", True, short_names=["ep"], singular="endpoints"),
    Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True,
             prepare=_prepare_endpoint_slice, generation=True),
    Resource("", "v1", "secrets", "Secret", True, field_labels=["type"], prepare=_prepare_secret),
    Resource("", "v1", "namespaces", "Namespace", False, short_names=["ns"],
             status_subresource=True, field_labels=["status.phase"], prepare=_prepare_namespace,
             name_pattern=(_DNS_LABEL, "a lowercase RFC 1123 label")),
    Resource("coordination.k8s.io", "v1", "leases", "Lease", True, unconditional_update=False,
             create_on_update=True),
    Resource("", "v1", "events", "Event", True, short_names=["ev"], create_on_update=True,
             field_labels=["involvedObject." + f for f in _OBJECT_REFERENCE_FIELDS]
             + ["reason", "reportingComponent", "source", "type"],
             field_paths={"source": "source.component"}),
    Resource("events.k8s.io", "v1", "events", "Event", True, short_names=["ev"],
             storage="events", create_on_update=True,
             field_labels=["regarding." + f for f in _OBJECT_REFERENCE_FIELDS]
             + ["reason", "reportingController", "type"],
             to_view=core_event_to_events_v1, from_view=events_v1_to_core_event),
]

# Group versions in the order discovery lists them (core first).
GROUP_VERSIONS = []
for _resource in RESOURCES:
    if _resource.group and (_resource.group, _resource.version) not in GROUP_VERSIONS:
        GROUP_VERSIONS.append((_resource.group, _resource.version))


def find_resource(group, version, plural):
    for resource in RESOURCES:
        if (resource.group, resource.version, resource.plural) == (group, version, plural):
            return resource
    return None


def resources_of(group, version):
    return [r for r in RESOURCES if (r.group, r.version) == (group, version)]


def storage_resource(storage):
    """The resource whose form is stored for `storage` (the first one listed)."""
    return next(r for r in RESOURCES if r.storage == storage)


NAMESPACE = find_resource("", "v1", "namespaces")
