#include "controlplane/translate/route_filters.h"

namespace gatehouse::controlplane::translate {

void AddRouteFilters(const IngressAnnotations& annotations, gatehouse::v1::Route& route) {
  if (annotations.max_request_body_bytes > 0) {
    route.add_filters()->mutable_request_body_limit()->set_max_bytes(
        annotations.max_request_body_bytes);
  }
  route.add_filters()->mutable_forwarding_headers();
}

std::vector<gatehouse::v1::Filter> DefaultFilters() {
  std::vector<gatehouse::v1::Filter> filters(1);
  filters[0].mutable_forwarding_headers();
  return filters;
}

std::vector<gatehouse::v1::Filter> TlsFilters(bool redirect, const std::string& hsts) {
  std::vector<gatehouse::v1::Filter> filters;
  if (redirect) filters.emplace_back().mutable_https_redirect();
  if (!hsts.empty()) filters.emplace_back().mutable_strict_transport_security()->set_value(hsts);
  return filters;
}

}  // namespace gatehouse::controlplane::translate
