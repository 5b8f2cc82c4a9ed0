#include "controlplane/translate/route_filters.h"

#include <algorithm>

namespace gatehouse::controlplane::translate {

void AddRouteFilters(const IngressAnnotations& annotations, const ResolvedAccess& resolved,
                     const std::string& scope, gatehouse::v1::Route& route) {
  // CORS first: an allowed origin's preflight is answered before anything else (redirects, IP
  // lists, authentication) looks at it, as ingress-nginx answers it in its rewrite phase; and
  // the answers of the later filters carry its headers.
  if (annotations.access.cors.has_value())
    *route.add_filters()->mutable_cors() = *annotations.access.cors;
  // Redirects first: they answer before anything else looks at the request.
  const RedirectAnnotations& redirects = annotations.redirects;
  if (redirects.force_ssl_redirect) route.add_filters()->mutable_https_redirect();
  if (!redirects.app_root.empty()) {
    route.add_filters()->mutable_app_root()->set_path(redirects.app_root);
  }
  if (redirects.redirect.has_value())
    *route.add_filters()->mutable_redirect() = *redirects.redirect;
  // Rate limits, then access control, after the redirects. The rewrite goes after them
  // (AddRewriteFilter): nothing here reads the path but external auth, which sends the
  // client's own ($request_uri); access does not depend on the path rewritten.
  const AccessAnnotations& access = annotations.access;
  if (access.rate_limit.has_value())
    *route.add_filters()->mutable_rate_limit() = *access.rate_limit;
  if (access.refuse_all || (access.allow.has_value() && !access.allow->empty()) ||
      (access.deny.has_value() && !access.deny->empty())) {
    gatehouse::v1::SourceRanges& ranges = *route.add_filters()->mutable_source_ranges();
    ranges.set_refuse_all(access.refuse_all);
    if (access.allow.has_value())
      ranges.mutable_allow()->Assign(access.allow->begin(), access.allow->end());
    if (access.deny.has_value())
      ranges.mutable_deny()->Assign(access.deny->begin(), access.deny->end());
  }
  // Authentication after the IP lists, as nginx's access phase runs allow and deny first.
  if (resolved.basic_auth.has_value())
    *route.add_filters()->mutable_basic_auth() = *resolved.basic_auth;
  if (resolved.external_auth.has_value()) {
    gatehouse::v1::ExternalAuth& auth = *route.add_filters()->mutable_external_auth();
    auth = *resolved.external_auth;
    if (!auth.cache_key().empty()) auth.set_cache_scope(scope);
  }
  if (annotations.max_request_body_bytes > 0) {
    route.add_filters()->mutable_request_body_limit()->set_max_bytes(
        annotations.max_request_body_bytes);
  }
  route.add_filters()->mutable_forwarding_headers();
  // After forwarding_headers, which records the client's Host in X-Forwarded-Host.
  const HeaderAnnotations& headers = annotations.headers;
  if (headers.request.ByteSizeLong() > 0) {
    *route.add_filters()->mutable_request_header_modifier() = headers.request;
  }
  if (!headers.upstream_host.empty()) {
    route.add_filters()->mutable_upstream_host()->set_host(headers.upstream_host);
  }
  if (headers.response.ByteSizeLong() > 0) {
    *route.add_filters()->mutable_response_header_modifier() = headers.response;
  }
}

void AddRewriteFilter(const std::string& regex, const std::string& replacement,
                      gatehouse::v1::Route& route) {
  // CORS, the redirects and access control come first; the rewrite goes right after them.
  auto* filters = route.mutable_filters();
  auto at = filters->begin();
  while (at != filters->end() &&
         (at->has_cors() || at->has_https_redirect() || at->has_app_root() || at->has_redirect() ||
          at->has_rate_limit() || at->has_source_ranges() || at->has_basic_auth() ||
          at->has_external_auth())) {
    ++at;
  }
  const auto index = at - filters->begin();
  gatehouse::v1::RewritePath& rewrite = *filters->Add()->mutable_rewrite_path();
  rewrite.set_regex(regex);
  rewrite.set_replacement(replacement);
  std::rotate(filters->begin() + index, filters->end() - 1, filters->end());
}

std::vector<gatehouse::v1::Filter> DefaultFilters() {
  std::vector<gatehouse::v1::Filter> filters(1);
  filters[0].mutable_forwarding_headers();
  return filters;
}

gatehouse::v1::Filter HostRedirectFilter(const std::string& host) {
  gatehouse::v1::Filter filter;
  filter.mutable_host_redirect()->set_host(host);
  filter.mutable_host_redirect()->set_code(308);
  return filter;
}

std::vector<gatehouse::v1::Filter> TlsFilters(bool redirect, const std::string& hsts) {
  std::vector<gatehouse::v1::Filter> filters;
  if (redirect) filters.emplace_back().mutable_https_redirect();
  if (!hsts.empty()) filters.emplace_back().mutable_strict_transport_security()->set_value(hsts);
  return filters;
}

}  // namespace gatehouse::controlplane::translate
