// ingress-nginx's rate limits (limit-rps, limit-rpm, limit-connections), per client address,
// on the counts of RateLimitTable: the rates first (per second, then per minute; a request
// refused by one is counted by neither), then the requests in flight, as nginx runs limit_req
// before limit_conn.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/cidr.h"
#include "dataplane/filters/filter_chain.h"
#include "dataplane/filters/rate_limit_table.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class RateLimitFilter : public Filter {
 public:
  struct Config {
    std::string zone;
    uint64_t per_second_milli = 0;  // requests per second, in thousandths; 0: none
    uint64_t per_second_burst_milli = 0;
    uint64_t per_minute_milli = 0;  // requests per minute, as thousandths per second; 0: none
    uint64_t per_minute_burst_milli = 0;
    uint32_t connections = 0;
    CidrSet allowlist;
    int request_status = 503;
    int connection_status = 503;
    RateLimitTable* rates = nullptr;
    RateLimitTable* in_flight = nullptr;
  };
  // The largest rate and in-flight limit a config may ask for.
  static constexpr uint32_t kMaxLimit = 1000000;

  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(const v1::RateLimit& config);
  // The same, on tables of the caller's (tests).
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(const v1::RateLimit& config,
                                                                      RateLimitTable* rates,
                                                                      RateLimitTable* in_flight);

  explicit RateLimitFilter(const Config& config) : config_(config) {}
  ~RateLimitFilter() override;

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  // Refuses with `status`; `wait_ms` for Retry-After.
  FilterStatus Refuse(int status, uint64_t wait_ms, absl::string_view what);

  const Config& config_;
  uint64_t connection_key_ = 0;  // nonzero: a slot of `connections` to give back
};

}  // namespace gatehouse::dataplane::filters
