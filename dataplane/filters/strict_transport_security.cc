#include "dataplane/filters/strict_transport_security.h"

#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> StrictTransportSecurityFilter::Compile(
    const v1::StrictTransportSecurity& config) {
  if (config.value().empty()) {
    return absl::InvalidArgumentError("strict_transport_security: empty value");
  }
  if (!IsFieldValue(config.value())) {
    return absl::InvalidArgumentError(
        "strict_transport_security: the value is not a valid header field value");
  }
  return std::make_shared<const ConfigFactory<StrictTransportSecurityFilter, std::string>>(
      config.value());
}

void StrictTransportSecurityFilter::OnResponseHeaders(http::ResponseHead& head, bool end_stream) {
  if (callbacks().downstream().scheme != "https") return;
  head.headers.Set("Strict-Transport-Security", value_);
}

}  // namespace gatehouse::dataplane::filters
