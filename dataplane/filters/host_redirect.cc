#include "dataplane/filters/host_redirect.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "dataplane/filters/redirect.h"

namespace gatehouse::dataplane::filters {
absl::StatusOr<std::shared_ptr<const FilterFactory>> HostRedirectFilter::Compile(
    const v1::HostRedirect& config) {
  if (!IsDnsName(config.host())) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect host ", QuoteForMessage(config.host()), " is not a DNS name"));
  }
  if (config.code() < 300 || config.code() > 308) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect code ", config.code(), " is not from 300 to 308"));
  }
  return std::make_shared<const ConfigFactory<HostRedirectFilter, Config>>(
      Config{config.host(), static_cast<int>(config.code())});
}

FilterStatus HostRedirectFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  absl::string_view host = HostWithoutPort(head.authority);
  absl::string_view port = absl::string_view(head.authority).substr(host.size());
  http::HeaderMap headers;
  headers.Add("Location", absl::StrCat(callbacks().downstream().scheme, "://", config_.host, port,
                                       OriginForm(head.target)));
  callbacks().SendLocalReply(config_.code, "redirected", std::move(headers));
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
