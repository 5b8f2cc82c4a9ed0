#include "dataplane/filters/upstream_host.h"

#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> UpstreamHostFilter::Compile(
    const v1::UpstreamHost& config) {
  if (!IsHostAndPort(config.host())) {
    return absl::InvalidArgumentError(absl::StrCat("upstream host ", QuoteForMessage(config.host()),
                                                   " is not NAME or NAME:PORT"));
  }
  return std::make_shared<const ConfigFactory<UpstreamHostFilter, std::string>>(config.host());
}

FilterStatus UpstreamHostFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  // Both: an HTTP/1 upstream gets the Host header, an HTTP/2 one :authority.
  head.authority = host_;
  head.headers.Set("Host", host_);
  return FilterStatus::kContinue;
}

}  // namespace gatehouse::dataplane::filters
