// The typed filters of the routes Ingresses make (gatehouse.v1.Filter, run by the data plane's
// per-route filter chain), in the order a request meets them:
//   https_redirect, strict_transport_security   a host with a certificate (VirtualHostTable)
//   host_redirect                               the other host of from-to-www-redirect
//   cors                                        enable-cors
//   https_redirect                              force-ssl-redirect
//   app_root                                    app-root
//   redirect                                    temporal-redirect or permanent-redirect
//   rate_limit                                  limit-rps, limit-rpm, limit-connections
//   source_ranges                               allowlist- and denylist-source-range
//   basic_auth                                  auth-type basic
//   external_auth                               auth-url
//   rewrite_path                                rewrite-target
//   request_body_limit                          proxy-body-size
//   forwarding_headers                          every route
//   request_header_modifier                     x-forwarded-prefix, request-headers
//   upstream_host                               upstream-vhost
//   response_header_modifier                    response-headers
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controlplane/translate/annotations.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

// What the filters need beyond the annotations: what the Secrets they name hold.
struct ResolvedAccess {
  std::optional<gatehouse::v1::BasicAuth> basic_auth;
  std::optional<gatehouse::v1::ExternalAuth> external_auth;
};

// Appends the filters an Ingress path's annotations ask for, and the ones every route has.
// `scope` names the route (its host and path): external auth keeps answers per route.
void AddRouteFilters(const IngressAnnotations& annotations, const ResolvedAccess& resolved,
                     const std::string& scope, gatehouse::v1::Route& route);

// Adds the rewrite-target filter before the filters that send the request on (after the
// redirects, which answer first, and access control, which sees the client's own path).
void AddRewriteFilter(const std::string& regex, const std::string& replacement,
                      gatehouse::v1::Route& route);

// The filters every request a host takes without a route (its default backend, or 404) passes.
std::vector<gatehouse::v1::Filter> DefaultFilters();

// The filter of a host that only redirects to `host` (from-to-www-redirect): 308, same path.
gatehouse::v1::Filter HostRedirectFilter(const std::string& host);

// The filters of a host with a certificate, first in each of its chains: the redirect of plain
// HTTP when `redirect`, and Strict-Transport-Security when `hsts` is not empty.
std::vector<gatehouse::v1::Filter> TlsFilters(bool redirect, const std::string& hsts);

}  // namespace gatehouse::controlplane::translate
