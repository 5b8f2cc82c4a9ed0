"""What each verb of the Kubernetes API does to the stored objects: get, list (with selectors,
pagination and resourceVersion semantics), create, update, patch, delete, deletecollection, and
the start and the events of a watch. The HTTP side lives in apiserver.py.

Server-side fields, as the real API server sets them:
- `metadata.uid`, `creationTimestamp` on create; `metadata.resourceVersion` on every write;
  for the kinds that have one (Ingress, IngressClass, EndpointSlice), `metadata.generation`
  starts at 1 and goes up when anything outside metadata and status changes (and when deletion
  starts). An update that changes nothing writes nothing (no new resourceVersion, no event).
- Namespaced objects take their namespace from the URL. Namespaces are implicit: creating an
  object in a namespace that does not exist creates the Namespace (the real server answers 404);
  deleting a Namespace deletes everything in it at once (no Terminating phase).
- An object with `metadata.finalizers` is not removed by DELETE: it gets `deletionTimestamp`, and
  goes when an update empties its finalizers.
- Kinds with a status subresource (Ingress, Service, Namespace): PUT/PATCH on `/status` change only
  `.status`; PUT/PATCH on the object itself keep the stored `.status`.
"""

import base64
import copy
import json
import random
import time
import uuid

import kube_kinds
from kube_patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from kube_selectors import FieldSelector, LabelSelector, SelectorError, field_value
from kube_status import (ApiError, already_exists, bad_request, conflict, expired, internal,
                         invalid, invalid_list_options, not_found, unsupported_media_type)

PATCH_TYPES = ("application/merge-patch+json", "application/json-patch+json",
               "application/strategic-merge-patch+json")
_GENERATE_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_SERVER_METADATA = ("uid", "creationTimestamp", "generation", "deletionTimestamp",
                    "deletionGracePeriodSeconds")


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def key_of(obj):
    metadata = obj["metadata"]
    return (metadata.get("namespace", ""), metadata["name"])


# --- query parameters -----------------------------------------------------------------------------

def query_bool(query, name):
    """None when absent; False for "0" or "false"; True for anything else, even empty."""
    if name not in query:
        return None
    return query[name].lower() not in ("0", "false")


def _query_int(query, name):
    if name not in query or query[name] == "":
        return None
    try:
        return int(query[name])
    except ValueError:
        raise bad_request('invalid value for %s: "%s"' % (name, query[name])) from None


class ListOptions:
    """The ListOptions query parameters of a list or watch request."""

    def __init__(self, resource, query):
        self.query = query
        try:
            self.labels = LabelSelector(query.get("labelSelector", ""))
            self.fields = FieldSelector(query.get("fieldSelector", ""), resource.field_labels)
        except SelectorError as error:
            raise bad_request(str(error)) from None
        self.watch = bool(query_bool(query, "watch"))
        self.allow_bookmarks = bool(query_bool(query, "allowWatchBookmarks"))
        self.send_initial_events = query_bool(query, "sendInitialEvents")
        self.resource_version = query.get("resourceVersion", "")
        self.resource_version_match = query.get("resourceVersionMatch", "")
        self.timeout_seconds = _query_int(query, "timeoutSeconds")
        self.limit = _query_int(query, "limit") or 0
        self.continue_token = query.get("continue", "")
        self._validate()

    def has_selectors(self):
        return not self.labels.empty() or not self.fields.empty()

    def numeric_resource_version(self):
        try:
            value = int(self.resource_version)
        except ValueError:
            raise bad_request('invalid resource version "%s"' % self.resource_version) from None
        if value < 0:
            raise bad_request('invalid resource version "%s"' % self.resource_version)
        return value

    def _validate(self):
        match = self.resource_version_match
        if match and match not in ("Exact", "NotOlderThan"):
            raise invalid_list_options("resourceVersionMatch",
                                       'Unsupported value: "%s": supported values: "Exact", '
                                       '"NotOlderThan"' % match)
        if self.watch:
            if self.send_initial_events is not None:
                if match != "NotOlderThan":
                    raise invalid_list_options(
                        "resourceVersionMatch", "Forbidden: sendInitialEvents requires setting "
                        "resourceVersionMatch to NotOlderThan")
            elif match:
                raise invalid_list_options(
                    "resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden for "
                    "watch unless sendInitialEvents is provided")
            if self.continue_token:
                raise invalid_list_options("continue", "Forbidden: continue is forbidden for watch")
            return
        if self.send_initial_events is not None:
            raise invalid_list_options("sendInitialEvents",
                                       "Forbidden: sendInitialEvents is forbidden for list")
        if match:
            if not self.resource_version:
                raise invalid_list_options("resourceVersionMatch", "Forbidden: "
                                           "resourceVersionMatch is forbidden unless "
                                           "resourceVersion is provided")
            if self.continue_token:
                raise invalid_list_options("resourceVersionMatch", "Forbidden: "
                                           "resourceVersionMatch is forbidden when continue is "
                                           "provided")
            if match == "Exact" and self.resource_version == "0":
                raise invalid_list_options("resourceVersionMatch", "Forbidden: "
                                           "resourceVersionMatch \"exact\" is forbidden for "
                                           "resourceVersion \"0\"")


def encode_continue(rv, start_key):
    raw = json.dumps({"v": "gatehouse.test/1", "rv": rv, "start": list(start_key)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token):
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(raw["rv"]), tuple(raw["start"])
    except (ValueError, KeyError, TypeError):
        raise bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                          "(version meta.k8s.io/v1)") from None


# --- the API --------------------------------------------------------------------------------------

class Api:
    def __init__(self, store):
        self.store = store
        if store.rv == 0:
            self._create_default_namespaces()

    def _create_default_namespaces(self):
        with self.store.lock:
            for name in ("default", "kube-node-lease", "kube-public", "kube-system"):
                self._create_namespace_if_missing(name)

    # --- views ---

    def view(self, resource, stored):
        """The object as `resource` presents it (with kind and apiVersion)."""
        obj = resource.to_view(stored)
        if obj is stored:
            obj = dict(stored)
        obj["kind"] = resource.kind
        obj["apiVersion"] = resource.api_version
        return obj

    def _matches(self, resource, namespace, options, key, view):
        if namespace and key[0] != namespace:
            return False
        labels = (view.get("metadata") or {}).get("labels") or {}
        if not options.labels.matches(labels):
            return False
        for field, op, value in options.fields.terms:
            if (field_value(view, resource.field_path(field)) == value) != (op == "="):
                return False
        return True

    # --- get / list ---

    def get(self, resource, namespace, name):
        with self.store.lock:
            stored = self.store.get(resource.storage, (namespace or "", name))
        if stored is None:
            raise not_found(resource, name)
        return self.view(resource, stored)

    def list(self, resource, namespace, options):
        store = self.store
        with store.lock:
            if options.continue_token:
                if options.resource_version not in ("", "0"):
                    raise bad_request("specifying resource version is not allowed when using "
                                      "continue")
                snapshot_rv, start = decode_continue(options.continue_token)
                if snapshot_rv < store.floor:
                    raise expired(
                        "The provided continue parameter is too old to display a consistent list "
                        "result. You can start a new list without the continue parameter, or use "
                        "the continue token in this response to retrieve the remainder of the "
                        "results. Continuing with the provided token results in an inconsistent "
                        "list - objects that were created, modified, or deleted between the time "
                        "the first chunk was returned and now may show up in the list.",
                        list_continue=encode_continue(store.rv, start))
            else:
                start = None
                snapshot_rv = self._list_resource_version(options)
            state = store.snapshot(resource.storage, snapshot_rv)
        return self._page(resource, namespace, options, state, snapshot_rv, start)

    def _list_resource_version(self, options):
        """The RV a list without continue is served at (the caller holds the lock)."""
        store = self.store
        if options.resource_version in ("", "0"):
            return store.rv
        requested = options.numeric_resource_version()
        exact = (options.resource_version_match == "Exact"
                 or (not options.resource_version_match and options.limit > 0))
        if requested > store.rv:
            store.wait_for_rv(requested)
        if not exact:
            return store.rv
        if requested < store.floor:
            raise expired("The resourceVersion for the provided list is too old.")
        return requested

    def _page(self, resource, namespace, options, state, snapshot_rv, start):
        items, next_key, remaining = [], None, 0
        for key in sorted(state):
            if start is not None and key <= start:
                continue
            view = self.view(resource, state[key])
            if not self._matches(resource, namespace, options, key, view):
                continue
            if options.limit and len(items) >= options.limit:
                remaining += 1
                continue
            items.append(view)
            next_key = key
        metadata = {"resourceVersion": str(snapshot_rv)}
        if remaining:
            metadata["continue"] = encode_continue(snapshot_rv, next_key)
            if not options.has_selectors():
                metadata["remainingItemCount"] = remaining
        for item in items:
            item.pop("kind", None)
            item.pop("apiVersion", None)
        return {"kind": resource.kind + "List", "apiVersion": resource.api_version,
                "metadata": metadata, "items": items}

    # --- create / update / patch ---

    def _decode(self, resource, body):
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        if body.get("apiVersion") not in (None, "", resource.api_version):
            raise bad_request("the API version in the data (%s) does not match the expected API "
                              "version (%s)" % (body["apiVersion"], resource.api_version))
        if body.get("kind") not in (None, "", resource.kind):
            raise bad_request("the kind in the data (%s) does not match the expected kind (%s)"
                              % (body["kind"], resource.kind))
        obj = copy.deepcopy(body)
        obj["kind"] = resource.kind
        obj["apiVersion"] = resource.api_version
        metadata = obj.get("metadata")
        if metadata is None:
            metadata = obj["metadata"] = {}
        if not isinstance(metadata, dict):
            raise bad_request("metadata must be a JSON object")
        for field in ("managedFields", "selfLink"):
            metadata.pop(field, None)
        return obj

    def _place(self, resource, namespace, obj):
        """Fills in or checks the namespace of `obj` against the URL's."""
        metadata = obj["metadata"]
        if not resource.namespaced:
            metadata.pop("namespace", None)
            return
        if metadata.get("namespace") and namespace and metadata["namespace"] != namespace:
            raise bad_request("the namespace of the provided object does not match the namespace "
                              "sent on the request")
        metadata["namespace"] = namespace or metadata.get("namespace") or "default"

    def _check_name(self, resource, obj):
        name = obj["metadata"].get("name", "")
        pattern, what = resource.name_pattern
        if not name:
            raise invalid(resource.kind, resource.group, "",
                          [("metadata.name", "FieldValueRequired",
                            "Required value: name or generateName is required")])
        if len(name) > 253 or not pattern.match(name):
            raise invalid(resource.kind, resource.group, name,
                          [("metadata.name", "FieldValueInvalid",
                            'Invalid value: "%s": must be %s' % (name, what))])

    def _stored_form(self, resource, obj):
        stored = resource.from_view(obj)
        storage = kube_kinds.storage_resource(resource.storage)
        stored["kind"] = storage.kind
        stored["apiVersion"] = storage.api_version
        return stored

    def _prepare(self, resource, stored, old, name):
        causes = resource.prepare(stored, old, self.store)
        if causes:
            raise invalid(resource.kind, resource.group, name, causes)

    def _ensure_namespace(self, resource, namespace, dry_run):
        if resource.namespaced and not dry_run:
            self._create_namespace_if_missing(namespace)

    def _create_namespace_if_missing(self, namespace):
        if self.store.get("namespaces", ("", namespace)) is None:
            obj = {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": namespace}}
            self._create_locked(kube_kinds.NAMESPACE, obj, dry_run=False)

    def create(self, resource, namespace, body, dry_run=False):
        obj = self._decode(resource, body)
        self._place(resource, namespace, obj)
        metadata = obj["metadata"]
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + "".join(
                random.choice(_GENERATE_NAME_CHARS) for _ in range(5))
        self._check_name(resource, obj)
        if metadata.get("resourceVersion"):
            raise internal("resourceVersion should not be set on objects to be created")
        with self.store.lock:
            return self._create_locked(resource, obj, dry_run)

    def _create_locked(self, resource, obj, dry_run):
        stored = self._stored_form(resource, obj)
        metadata = stored["metadata"]
        key = key_of(stored)
        if self.store.get(resource.storage, key) is not None:
            raise already_exists(resource, metadata["name"])
        for field in _SERVER_METADATA + ("resourceVersion",):
            metadata.pop(field, None)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now_rfc3339()
        if resource.generation:
            metadata["generation"] = 1
        self._prepare(resource, stored, None, metadata["name"])
        self._ensure_namespace(resource, key[0], dry_run)
        if not dry_run:
            self.store.commit(resource.storage, key, stored)
        return self.view(resource, stored)

    def update(self, resource, namespace, name, body, subresource=None, dry_run=False):
        """PUT. Returns (HTTP code, object): 201 when it created the object."""
        obj = self._decode(resource, body)
        self._place(resource, namespace, obj)
        if obj["metadata"].get("name") != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                              % (obj["metadata"].get("name", ""), name))
        with self.store.lock:
            existing = self.store.get(resource.storage, (namespace or "", name))
            if existing is None:
                if not resource.create_on_update or subresource:
                    raise not_found(resource, name)
                self._check_name(resource, obj)
                obj["metadata"].pop("resourceVersion", None)
                return 201, self._create_locked(resource, obj, dry_run)
            return 200, self._update_locked(resource, obj, existing, subresource, dry_run)

    def _update_locked(self, resource, obj, existing, subresource, dry_run):
        metadata = obj["metadata"]
        name = metadata["name"]
        given = metadata.get("resourceVersion")
        if given:
            if given != existing["metadata"]["resourceVersion"]:
                raise conflict(resource, name)
        elif not resource.unconditional_update:
            raise invalid(resource.kind, resource.group, name,
                          [("metadata.resourceVersion", "FieldValueInvalid",
                            "Invalid value: 0x0: must be specified for an update")])
        stored = self._stored_form(resource, obj)
        if subresource == "status":
            status = stored.get("status")
            stored = copy.deepcopy(existing)
            stored["status"] = status
            if status is None:
                stored.pop("status")
        elif resource.status_subresource:
            if "status" in existing:
                stored["status"] = copy.deepcopy(existing["status"])
            else:
                stored.pop("status", None)
        metadata = stored["metadata"]
        for field in _SERVER_METADATA:
            if field in existing["metadata"]:
                metadata[field] = existing["metadata"][field]
            else:
                metadata.pop(field, None)
        metadata["resourceVersion"] = existing["metadata"]["resourceVersion"]
        self._prepare(resource, stored, existing, name)
        if resource.generation and _content(stored) != _content(existing):
            metadata["generation"] = existing["metadata"].get("generation", 0) + 1
        if stored == existing:
            return self.view(resource, existing)
        if metadata.get("deletionTimestamp") and not metadata.get("finalizers"):
            if not dry_run:
                self.store.commit(resource.storage, key_of(stored), None)
            return self.view(resource, stored)
        if not dry_run:
            self.store.commit(resource.storage, key_of(stored), stored)
        return self.view(resource, stored)

    def patch(self, resource, namespace, name, content_type, raw_body, subresource=None,
              dry_run=False):
        patch_type = (content_type or "").split(";")[0].strip().lower()
        if patch_type not in PATCH_TYPES:
            raise unsupported_media_type(patch_type or "no Content-Type")
        try:
            patch = json.loads(raw_body or b"null")
        except ValueError as error:
            raise bad_request("error decoding patch: %s" % error) from None
        with self.store.lock:
            existing = self.store.get(resource.storage, (namespace or "", name))
            if existing is None:
                raise not_found(resource, name)
            current = self.view(resource, existing)
            try:
                if patch_type == "application/json-patch+json":
                    patched = json_patch(current, patch)
                elif not isinstance(patch, dict):
                    raise PatchError("a merge patch must be a JSON object")
                elif patch_type == "application/merge-patch+json":
                    patched = merge_patch(current, patch)
                else:
                    patched = strategic_merge_patch(current, patch, resource.list_strategies)
            except PatchError as error:
                raise ApiError(422, "Invalid", str(error)) from None
            if not isinstance(patched, dict):
                raise bad_request("the patched object must be a JSON object")
            obj = self._decode(resource, patched)
            self._place(resource, namespace, obj)
            if obj["metadata"].get("name") != name:
                raise bad_request("the name of the object (%s) does not match the name on the "
                                  "URL (%s)" % (obj["metadata"].get("name", ""), name))
            return self._update_locked(resource, obj, existing, subresource, dry_run)

    # --- delete ---

    def delete(self, resource, namespace, name, options=None, dry_run=False):
        with self.store.lock:
            existing = self.store.get(resource.storage, (namespace or "", name))
            if existing is None:
                raise not_found(resource, name)
            self._check_preconditions(resource, existing, options or {})
            return self._delete_locked(resource, existing, dry_run)

    def delete_collection(self, resource, namespace, list_options, dry_run=False):
        with self.store.lock:
            state = dict(self.store.objects_of(resource.storage))
            deleted = []
            for key in sorted(state):
                view = self.view(resource, state[key])
                if self._matches(resource, namespace, list_options, key, view):
                    deleted.append(self._delete_locked(resource, state[key], dry_run))
            rv = self.store.rv
        for item in deleted:
            item.pop("kind", None)
            item.pop("apiVersion", None)
        return {"kind": resource.kind + "List", "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": str(rv)}, "items": deleted}

    def _check_preconditions(self, resource, existing, options):
        preconditions = options.get("preconditions") or {}
        metadata = existing["metadata"]
        name = metadata["name"]
        if preconditions.get("uid") and preconditions["uid"] != metadata["uid"]:
            raise conflict(resource, name, "Precondition failed: UID in precondition: %s, UID in "
                           "object meta: %s" % (preconditions["uid"], metadata["uid"]))
        wanted_rv = preconditions.get("resourceVersion")
        if wanted_rv and wanted_rv != metadata["resourceVersion"]:
            raise conflict(resource, name, "Precondition failed: ResourceVersion in precondition: "
                           "%s, ResourceVersion in object meta: %s"
                           % (wanted_rv, metadata["resourceVersion"]))

    def _delete_locked(self, resource, existing, dry_run):
        """Deletes (or starts deleting, with finalizers) `existing`; returns the view to answer."""
        metadata = existing["metadata"]
        if metadata.get("finalizers"):
            if metadata.get("deletionTimestamp"):
                return self.view(resource, existing)
            terminating = copy.deepcopy(existing)
            terminating["metadata"]["deletionTimestamp"] = now_rfc3339()
            terminating["metadata"]["deletionGracePeriodSeconds"] = 0
            if resource.generation:
                terminating["metadata"]["generation"] = metadata.get("generation", 0) + 1
            if not dry_run:
                self.store.commit(resource.storage, key_of(existing), terminating)
            return self.view(resource, terminating)
        if resource.storage == "namespaces" and not dry_run:
            self._empty_namespace(metadata["name"])
        gone = dict(existing)
        if not dry_run:
            rv = self.store.commit(resource.storage, key_of(existing), None)
            gone["metadata"] = dict(existing["metadata"], resourceVersion=str(rv))
        return self.view(resource, gone)

    def _empty_namespace(self, namespace):
        for storage in list(self.store.objects):
            objects = self.store.objects_of(storage)
            for key in sorted(k for k in objects if k[0] == namespace):
                self.store.commit(storage, key, None)

    # --- watch ---

    def start_watch(self, resource, namespace, options):
        """Where a watch starts: (initial events, position, whether to mark the end of the
        initial events with a bookmark). Raises ApiError for an RV that cannot be served; the
        caller sends it as an ERROR event, as the real API server does once a watch has been
        accepted. The caller holds the lock."""
        store = self.store
        legacy_initial = options.resource_version in ("", "0")
        send_initial = (options.send_initial_events if options.send_initial_events is not None
                        else legacy_initial)
        if not legacy_initial:
            requested = options.numeric_resource_version()
            if requested > store.rv:
                store.wait_for_rv(requested)
            if not send_initial and requested < store.floor:
                raise expired("too old resource version: %d (%d)" % (requested, store.floor))
            position = store.rv if send_initial else requested
        else:
            position = store.rv
        initial = []
        if send_initial:
            state = store.objects_of(resource.storage)
            for key in sorted(state):
                view = self.view(resource, state[key])
                if self._matches(resource, namespace, options, key, view):
                    initial.append({"type": "ADDED", "object": view})
        end_bookmark = bool(options.send_initial_events) and options.allow_bookmarks
        return initial, position, end_bookmark

    def watch_event(self, resource, namespace, options, change):
        """The event `change` means to a watch with these options, or None."""
        if change.storage != resource.storage or (namespace and change.key[0] != namespace):
            return None
        old = self.view(resource, change.old) if change.old is not None else None
        new = self.view(resource, change.new) if change.new is not None else None
        was = old is not None and self._matches(resource, namespace, options, change.key, old)
        now = new is not None and self._matches(resource, namespace, options, change.key, new)
        if now:
            return {"type": "MODIFIED" if was else "ADDED", "object": new}
        if was:
            old["metadata"] = dict(old["metadata"], resourceVersion=str(change.rv))
            return {"type": "DELETED", "object": old}
        return None

    def bookmark(self, resource, rv, initial_events_end=False):
        metadata = {"resourceVersion": str(rv)}
        if initial_events_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {"type": "BOOKMARK",
                "object": {"kind": resource.kind, "apiVersion": resource.api_version,
                           "metadata": metadata}}


def _content(obj):
    """Everything of an object that counts for its generation: all but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}
