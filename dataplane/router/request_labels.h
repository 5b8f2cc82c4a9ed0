// The labels of a route's request metrics: which Ingress, Service and configured host a request
// went to. They come from the config alone, never from a request, so no client can make a new
// series: an unknown host is counted under the empty host.
//
// Labels are interned: every route configuration that names the same Ingress, Service and host
// shares one object, so a worker's counts for it go on across config versions. The object goes
// once no configuration names it (the Ingress is deleted), and with it its series.
#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::router {

struct RequestLabels {
  std::string ingress;     // the Ingress's name, or empty (the host's default backend, no route)
  std::string namespace_;  // the Ingress's namespace
  std::string service;     // the Service's name, or empty
  std::string host;        // the virtual host's name, or empty (no host took the request)

  // The one object for these labels. `source` is the route's Ingress ("namespace/name"), and
  // `cluster` its backend's cluster ("namespace/service:port"); either may be empty. Thread-safe.
  static std::shared_ptr<const RequestLabels> Intern(absl::string_view source,
                                                     absl::string_view cluster,
                                                     absl::string_view host);
  // The labels of requests no virtual host took.
  static std::shared_ptr<const RequestLabels> NoHost();
};

}  // namespace gatehouse::dataplane::router
