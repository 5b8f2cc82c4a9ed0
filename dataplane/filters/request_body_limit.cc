#include "dataplane/filters/request_body_limit.h"

namespace gatehouse::dataplane::filters {
namespace {

constexpr absl::string_view kTooLarge = "request body larger than this route allows";

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> RequestBodyLimitFilter::Compile(
    const v1::RequestBodyLimit& config) {
  if (config.max_bytes() == 0) {
    return absl::InvalidArgumentError("request_body_limit: max_bytes must be at least 1");
  }
  return std::make_shared<const ConfigFactory<RequestBodyLimitFilter, uint64_t>>(
      config.max_bytes());
}

FilterStatus RequestBodyLimitFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  if (head.framing == http::BodyFraming::kContentLength && head.content_length > max_bytes_) {
    callbacks().SendLocalReply(413, kTooLarge);
    return FilterStatus::kStop;
  }
  return FilterStatus::kContinue;
}

FilterStatus RequestBodyLimitFilter::OnRequestData(absl::string_view data, bool end_stream) {
  if (tunnel_) return FilterStatus::kContinue;
  received_ += data.size();
  if (received_ <= max_bytes_) return FilterStatus::kContinue;
  callbacks().SendLocalReply(413, kTooLarge);
  return FilterStatus::kStop;
}

void RequestBodyLimitFilter::OnResponseHeaders(http::ResponseHead& head, bool end_stream) {
  tunnel_ = head.status == 101;
}

}  // namespace gatehouse::dataplane::filters
