// A redirect's Location with request variables (ingress-nginx's permanent-redirect and
// temporal-redirect take nginx's `return CODE URL`, where nginx expands variables; auth-signin
// too): literal text and $request_uri, $uri, $args, $host, $scheme and $escaped_request_uri
// (the request URI percent-encoded), split once and expanded per request. Both
// processes parse it the same way: the control plane refuses what a data plane would.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gatehouse {

// `text` with every byte but RFC 3986's unreserved ones percent-encoded, as a query parameter's
// value: nginx's $escaped_request_uri of a request URI.
std::string EscapeUriComponent(absl::string_view text);

// Whether `path` is an absolute path fit for a Location header ("/app", not "//host" or with
// spaces or control characters): an app-root.
bool IsAbsolutePathValue(absl::string_view path);

class LocationTemplate {
 public:
  enum class Part { kText, kRequestUri, kUri, kArgs, kHost, kScheme, kEscapedRequestUri };

  // Splits `location`; an unknown $variable, or text that could not be a header value, is an
  // error naming it.
  static absl::StatusOr<LocationTemplate> Parse(absl::string_view location);
  // The location for one request: its origin-form target (path and query), its host (lower
  // case, without port) and its scheme.
  std::string Expand(absl::string_view request_uri, absl::string_view host,
                     absl::string_view scheme) const;
  // The literal text before the first variable ("https://a.test/" of "https://a.test/$uri").
  absl::string_view LiteralPrefix() const;

 private:
  std::vector<std::pair<Part, std::string>> parts_;
};

}  // namespace gatehouse
