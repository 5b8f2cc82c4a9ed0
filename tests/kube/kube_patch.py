"""The three PATCH body formats of the Kubernetes API, applied to plain JSON values.

- `application/merge-patch+json`: JSON Merge Patch (RFC 7386).
- `application/json-patch+json`: JSON Patch (RFC 6902): add, remove, replace, move, copy, test.
- `application/strategic-merge-patch+json`: strategic merge patch, for the fields of the built-in
  kinds this server serves. It is a merge patch in which some lists are merged element by element
  (a list of maps by a "merge key", such as Service `spec.ports` by `port`; a list of strings as a
  set, such as `metadata.finalizers`) and which understands the directives kubectl sends:
  `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>` and
  `$deleteFromPrimitiveList/<list>`. Every other list is replaced whole, as it is for the real
  kinds whose lists are atomic (Ingress rules, EndpointSlice endpoints and ports).
"""

import copy


class PatchError(Exception):
    """A patch that cannot be applied to the object (the API server answers 422)."""


# --- JSON Merge Patch (RFC 7386) ------------------------------------------------------------------

def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- JSON Patch (RFC 6902) ------------------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("invalid JSON pointer %r: must start with '/'" % path)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _list_index(container, token, allow_end):
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchError("invalid array index %r" % token)
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise PatchError("array index %d out of bounds" % index)
    return index


def _parent(document, parts, path):
    current = document
    for token in parts[:-1]:
        if isinstance(current, dict):
            if token not in current:
                raise PatchError("doc is missing path: %s" % path)
            current = current[token]
        elif isinstance(current, list):
            current = current[_list_index(current, token, allow_end=False)]
        else:
            raise PatchError("doc is missing path: %s" % path)
    return current


def _get(document, path):
    parts = _pointer(path)
    if not parts:
        return document
    parent = _parent(document, parts, path)
    token = parts[-1]
    if isinstance(parent, dict) and token in parent:
        return parent[token]
    if isinstance(parent, list):
        return parent[_list_index(parent, token, allow_end=False)]
    raise PatchError("doc is missing path: %s" % path)


def _add(document, path, value):
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(document, parts, path)
    token = parts[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_list_index(parent, token, allow_end=True), value)
    else:
        raise PatchError("doc is missing path: %s" % path)
    return document


def _remove(document, path):
    parts = _pointer(path)
    if not parts:
        raise PatchError("cannot remove the whole document")
    parent = _parent(document, parts, path)
    token = parts[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise PatchError("remove operation does not apply: doc is missing path: %s" % path)
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_list_index(parent, token, allow_end=False))
    raise PatchError("doc is missing path: %s" % path)


def json_patch(document, operations):
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    document = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise PatchError("invalid JSON patch operation %r" % (operation,))
        op, path = operation["op"], operation["path"]
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError("%s operation is missing 'value'" % op)
        if op == "add":
            document = _add(document, path, copy.deepcopy(operation["value"]))
        elif op == "remove":
            _remove(document, path)
        elif op == "replace":
            if not _pointer(path):
                document = copy.deepcopy(operation["value"])
            else:
                _get(document, path)
                _remove(document, path)
                document = _add(document, path, copy.deepcopy(operation["value"]))
        elif op in ("move", "copy"):
            if "from" not in operation:
                raise PatchError("%s operation is missing 'from'" % op)
            value = copy.deepcopy(_get(document, operation["from"]))
            if op == "move":
                _remove(document, operation["from"])
            document = _add(document, path, value)
        elif op == "test":
            if _get(document, path) != operation["value"]:
                raise PatchError("testing value %s failed" % path)
        else:
            raise PatchError("unknown JSON patch operation %r" % op)
    return document


# --- strategic merge patch ------------------------------------------------------------------------

_DELETE = object()


def _is_directive(key):
    return (key in ("$patch", "$retainKeys")
            or key.startswith("$setElementOrder/")
            or key.startswith("$deleteFromPrimitiveList/"))


def _strip_directives(value):
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not _is_directive(k)}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value
                if not (isinstance(v, dict) and v.get("$patch") in ("delete", "replace"))]
    return value


def strategic_merge_patch(original, patch, list_strategies, path=()):
    """Applies a strategic merge patch. `list_strategies` maps a field path (a tuple of field
    names, list positions left out) to the merge key of that list of maps, or to "" for a list of
    strings merged as a set; lists not named there are replaced whole."""
    merged = _merge_map(original, patch, list_strategies, path)
    return {} if merged is _DELETE else merged


def _merge_map(original, patch, strategies, path):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip_directives(patch)
    if directive == "delete":
        return _DELETE
    result = dict(original) if isinstance(original, dict) else {}
    orders = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key[len("$setElementOrder/"):]] = value
        elif key.startswith("$deleteFromPrimitiveList/"):
            field = key[len("$deleteFromPrimitiveList/"):]
            if isinstance(result.get(field), list):
                result[field] = [item for item in result[field] if item not in value]
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _merge_map(result.get(key), value, strategies, path + (key,))
            if merged is _DELETE:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, strategies, path + (key,))
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _apply_order(result[field], order, strategies.get(path + (field,)))
    if isinstance(patch.get("$retainKeys"), list):
        keep = set(patch["$retainKeys"])
        result = {k: v for k, v in result.items() if k in keep}
    return result


def _merge_list(original, patch, strategies, path):
    merge_key = strategies.get(path)
    if merge_key is None or any(isinstance(item, dict) and item.get("$patch") == "replace"
                                for item in patch):
        return _strip_directives(patch)
    result = copy.deepcopy(original) if isinstance(original, list) else []
    if merge_key == "":
        for item in patch:
            if item not in result:
                result.append(copy.deepcopy(item))
        return result
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError("a list merged by %r must hold objects" % merge_key)
        position = next((i for i, existing in enumerate(result)
                         if isinstance(existing, dict)
                         and existing.get(merge_key) == item.get(merge_key)), None)
        if item.get("$patch") == "delete":
            if position is not None:
                del result[position]
            continue
        if position is None:
            result.append(_merge_map({}, item, strategies, path))
        else:
            result[position] = _merge_map(result[position], item, strategies, path)
    return result


def _apply_order(items, order, merge_key):
    def identity(item):
        return item.get(merge_key) if merge_key and isinstance(item, dict) else item

    wanted = [identity(entry) if isinstance(entry, dict) else entry for entry in order]
    ranked = {value: rank for rank, value in enumerate(wanted)}
    indexed = list(enumerate(items))
    indexed.sort(key=lambda pair: (ranked.get(identity(pair[1]), len(wanted)), pair[0]))
    return [item for _, item in indexed]
