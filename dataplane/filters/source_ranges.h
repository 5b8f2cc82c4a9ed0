// ingress-nginx's allowlist-source-range and denylist-source-range: a request whose client
// address is denied, or is not allowed when an allow list is set, gets 403. The client address is
// the one the proxy stream chose (the peer's, or what trusted proxies say of it), so the lists
// work behind a cloud load balancer with --use-forwarded-headers.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/cidr.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class SourceRangesFilter : public Filter {
 public:
  struct Config {
    CidrSet allow;  // empty: every address not denied
    CidrSet deny;
    bool refuse_all = false;
  };

  // Every entry must be an address or CIDR range; at most kMaxRanges per list.
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::SourceRanges& config);
  static constexpr int kMaxRanges = 4096;

  explicit SourceRangesFilter(const Config& config) : config_(config) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  const Config& config_;
};

}  // namespace gatehouse::dataplane::filters
