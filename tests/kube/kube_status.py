"""`Status` objects: the body of every error answer of the Kubernetes API, and of watch ERROR
events.

    {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"...",
     "reason":"NotFound","details":{"name":"web","group":"networking.k8s.io","kind":"ingresses"},
     "code":404}
"""


class ApiError(Exception):
    """An error answer: the HTTP code, a Status reason and message, and optional details."""

    def __init__(self, code, reason, message, details=None, retry_after=None, list_continue=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retry_after = retry_after
        self.list_continue = list_continue

    def status(self):
        return status_object(self.code, self.reason, self.message, self.details,
                             self.list_continue)


def status_object(code, reason, message, details=None, list_continue=None):
    body = {"kind": "Status", "apiVersion": "v1",
            "metadata": {"continue": list_continue} if list_continue else {},
            "status": "Failure", "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def success_status(details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    return body


def qualified(resource):
    """`ingresses.networking.k8s.io`, or `services` for the core group, as messages name it."""
    return resource.plural + ("." + resource.group if resource.group else "")


def _details(resource, name):
    details = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    return details


def not_found(resource, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(resource), name),
                    _details(resource, name))


def already_exists(resource, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(resource), name),
                    _details(resource, name))


def conflict(resource, name, why="the object has been modified; please apply your changes to "
                                 "the latest version and try again"):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                    % (qualified(resource), name, why), _details(resource, name))


def invalid(kind, group, name, causes):
    """422 Invalid. `causes` is a list of (field, reason, message) where reason is a cause type
    such as FieldValueRequired, FieldValueInvalid, FieldValueForbidden, FieldValueNotSupported."""
    qualified_kind = kind + ("." + group if group else "")
    summary = "; ".join("%s: %s" % (field, message) for field, _, message in causes)
    if len(causes) > 1:
        summary = "[" + ", ".join("%s: %s" % (field, message) for field, _, message in causes) + "]"
    details = {"name": name, "kind": kind,
               "causes": [{"reason": reason, "message": message, "field": field}
                          for field, reason, message in causes]}
    if group:
        details["group"] = group
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (qualified_kind, name, summary),
                    details)


def invalid_list_options(field, message):
    return invalid("ListOptions", "meta.k8s.io", "", [(field, "FieldValueForbidden", message)])


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def expired(message, list_continue=None):
    return ApiError(410, "Expired", message, list_continue=list_continue)


def internal(message):
    return ApiError(500, "InternalError", "Internal error occurred: " + message,
                    {"causes": [{"message": message}]})


def too_large_resource_version(requested, current):
    message = ("Too large resource version: %s, current: %s" % (requested, current))
    return ApiError(504, "Timeout", message,
                    {"causes": [{"reason": "ResourceVersionTooLarge", "message": message}],
                     "retryAfterSeconds": 1}, retry_after=1)


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def too_many_requests(retry_after):
    return ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                    {"causes": [{"message": "throttled by the /_test/throttle control"}],
                     "retryAfterSeconds": retry_after}, retry_after=retry_after)


def method_not_allowed(method):
    return ApiError(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource (%s)" % method)


def unsupported_media_type(content_type):
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format (%s) - accepted media types "
                    "include: application/json-patch+json, application/merge-patch+json, "
                    "application/strategic-merge-patch+json" % content_type)


def path_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource")
