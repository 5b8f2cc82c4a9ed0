#include "dataplane/filters/filter_chain.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/filters/app_root.h"
#include "dataplane/filters/basic_auth.h"
#include "dataplane/filters/client_certificate.h"
#include "dataplane/filters/cors.h"
#include "dataplane/filters/external_auth.h"
#include "dataplane/filters/forwarding_headers.h"
#include "dataplane/filters/host_redirect.h"
#include "dataplane/filters/https_redirect.h"
#include "dataplane/filters/rate_limit.h"
#include "dataplane/filters/redirect.h"
#include "dataplane/filters/request_body_limit.h"
#include "dataplane/filters/request_header_modifier.h"
#include "dataplane/filters/response_header_modifier.h"
#include "dataplane/filters/rewrite_path.h"
#include "dataplane/filters/source_ranges.h"
#include "dataplane/filters/strict_transport_security.h"
#include "dataplane/filters/upstream_host.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> CompileFilter(const v1::Filter& filter) {
  switch (filter.config_case()) {
    case v1::Filter::kHttpsRedirect:
      return HttpsRedirectFilter::Compile(filter.https_redirect());
    case v1::Filter::kStrictTransportSecurity:
      return StrictTransportSecurityFilter::Compile(filter.strict_transport_security());
    case v1::Filter::kRequestBodyLimit:
      return RequestBodyLimitFilter::Compile(filter.request_body_limit());
    case v1::Filter::kForwardingHeaders:
      return ForwardingHeadersFilter::Compile(filter.forwarding_headers());
    case v1::Filter::kRedirect:
      return RedirectFilter::Compile(filter.redirect());
    case v1::Filter::kAppRoot:
      return AppRootFilter::Compile(filter.app_root());
    case v1::Filter::kHostRedirect:
      return HostRedirectFilter::Compile(filter.host_redirect());
    case v1::Filter::kRequestHeaderModifier:
      return RequestHeaderModifierFilter::Compile(filter.request_header_modifier());
    case v1::Filter::kResponseHeaderModifier:
      return ResponseHeaderModifierFilter::Compile(filter.response_header_modifier());
    case v1::Filter::kUpstreamHost:
      return UpstreamHostFilter::Compile(filter.upstream_host());
    case v1::Filter::kRewritePath:
      return RewritePathFilter::Compile(filter.rewrite_path());
    case v1::Filter::kCors:
      return CorsFilter::Compile(filter.cors());
    case v1::Filter::kRateLimit:
      return RateLimitFilter::Compile(filter.rate_limit());
    case v1::Filter::kSourceRanges:
      return SourceRangesFilter::Compile(filter.source_ranges());
    case v1::Filter::kBasicAuth:
      return BasicAuthFilter::Compile(filter.basic_auth());
    case v1::Filter::kExternalAuth:
      return ExternalAuthFilter::Compile(filter.external_auth());
    case v1::Filter::kClientCertificate:
      return ClientCertificateFilter::Compile(filter.client_certificate());
    case v1::Filter::CONFIG_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("no filter config (unknown to this data plane?)");
}

absl::StatusOr<FilterChain> FilterChain::Compile(
    const google::protobuf::RepeatedPtrField<v1::Filter>& filters, FilterCompiler compile) {
  FilterChain chain;
  std::vector<std::string> errors;
  for (int i = 0; i < filters.size(); ++i) {
    absl::StatusOr<std::shared_ptr<const FilterFactory>> factory = compile(filters[i]);
    if (!factory.ok()) {
      errors.push_back(absl::StrCat("filters[", i, "]: ", factory.status().message()));
      continue;
    }
    chain.factories_.push_back(*std::move(factory));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  return chain;
}

void FilterChain::CreateFilters(FilterList& out) const {
  out.reserve(factories_.size());
  for (const auto& factory : factories_) out.push_back(factory->Create());
}

}  // namespace gatehouse::dataplane::filters
