// Sends Strict-Transport-Security on HTTPS responses (the upstream's and local replies alike),
// replacing any the upstream sent. Plain-HTTP responses never carry it (RFC 6797 section 7.2).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class StrictTransportSecurityFilter : public Filter {
 public:
  // The value must be a non-empty, valid field value.
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::StrictTransportSecurity& config);

  explicit StrictTransportSecurityFilter(const std::string& value) : value_(value) {}

  void OnResponseHeaders(http::ResponseHead& head, bool end_stream) override;

 private:
  const std::string& value_;
};

}  // namespace gatehouse::dataplane::filters
