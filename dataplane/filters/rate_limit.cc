#include "dataplane/filters/rate_limit.h"

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/event/clock.h"

namespace gatehouse::dataplane::filters {
namespace {

constexpr int kMaxAllowlist = 4096;

// The key of a zone's limit (`kind`) for a client.
uint64_t KeyOf(const std::string& zone, char kind, absl::string_view client) {
  return absl::HashOf(zone, kind, client);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> RateLimitFilter::Compile(
    const v1::RateLimit& config) {
  return Compile(config, &RateLimitTable::GlobalRates(), &RateLimitTable::GlobalInFlight());
}

absl::StatusOr<std::shared_ptr<const FilterFactory>> RateLimitFilter::Compile(
    const v1::RateLimit& config, RateLimitTable* rates, RateLimitTable* in_flight) {
  Config compiled;
  compiled.zone = config.zone();
  compiled.rates = rates;
  compiled.in_flight = in_flight;
  for (uint32_t limit :
       {config.requests_per_second(), config.requests_per_minute(), config.connections()}) {
    if (limit > kMaxLimit) {
      return absl::InvalidArgumentError(
          absl::StrCat("a limit of ", limit, "; at most ", kMaxLimit));
    }
  }
  if (config.burst_multiplier() > 1000) {
    return absl::InvalidArgumentError("a burst multiplier above 1000");
  }
  if (config.zone().empty()) return absl::InvalidArgumentError("a rate limit without a zone");
  if (config.burst_multiplier() < 1) {
    return absl::InvalidArgumentError("a burst multiplier below 1");
  }
  for (uint32_t status : {config.request_status(), config.connection_status()}) {
    if (status < 400 || status > 599) {
      return absl::InvalidArgumentError(absl::StrCat("status ", status, " is not 400 to 599"));
    }
  }
  compiled.request_status = static_cast<int>(config.request_status());
  compiled.connection_status = static_cast<int>(config.connection_status());
  const uint64_t multiplier = config.burst_multiplier();
  compiled.per_second_milli = uint64_t{config.requests_per_second()} * 1000;
  compiled.per_second_burst_milli = compiled.per_second_milli * multiplier;
  // nginx's "r/m": thousandths of a request per second.
  compiled.per_minute_milli = uint64_t{config.requests_per_minute()} * 1000 / 60;
  if (config.requests_per_minute() > 0 && compiled.per_minute_milli == 0) {
    compiled.per_minute_milli = 1;
  }
  compiled.per_minute_burst_milli = uint64_t{config.requests_per_minute()} * 1000 * multiplier;
  compiled.connections = config.connections();
  if (config.allowlist_size() > kMaxAllowlist) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxAllowlist, " ranges"));
  }
  for (const std::string& entry : config.allowlist()) {
    if (entry.find(',') != std::string::npos) {
      return absl::InvalidArgumentError("an allowlist entry holds a comma");
    }
  }
  absl::StatusOr<CidrSet> allowlist = CidrSet::Parse(absl::StrJoin(config.allowlist(), ","));
  if (!allowlist.ok()) return allowlist.status();
  compiled.allowlist = *std::move(allowlist);
  return std::make_shared<const ConfigFactory<RateLimitFilter, Config>>(std::move(compiled));
}

RateLimitFilter::~RateLimitFilter() {
  if (connection_key_ != 0) config_.in_flight->Release(connection_key_);
}

FilterStatus RateLimitFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  const DownstreamInfo& downstream = callbacks().downstream();
  const std::string& client = downstream.client_ip;
  if (!config_.allowlist.empty() && config_.allowlist.Contains(downstream.client_address)) {
    return FilterStatus::kContinue;
  }
  const int64_t now = event::MonotonicNowMs();
  const bool per_second = config_.per_second_milli > 0;
  const bool per_minute = config_.per_minute_milli > 0;
  // Only the keys of the limits this route has are hashed.
  const uint64_t second_key = per_second ? KeyOf(config_.zone, 's', client) : 0;
  const uint64_t minute_key = per_minute ? KeyOf(config_.zone, 'm', client) : 0;
  // Both rates are asked before either counts the request.
  using Mode = RateLimitTable::Mode;
  if (per_second) {
    uint64_t wait =
        config_.rates->Take(second_key, config_.per_second_milli, config_.per_second_burst_milli,
                            now, per_minute ? Mode::kCheck : Mode::kTake);
    if (wait > 0) return Refuse(config_.request_status, wait, "requests per second");
  }
  if (per_minute) {
    uint64_t wait = config_.rates->Take(minute_key, config_.per_minute_milli,
                                        config_.per_minute_burst_milli, now);
    if (wait > 0) return Refuse(config_.request_status, wait, "requests per minute");
    if (per_second) {
      config_.rates->Take(second_key, config_.per_second_milli, config_.per_second_burst_milli, now,
                          Mode::kRecord);
    }
  }
  if (config_.connections > 0) {
    uint64_t key = KeyOf(config_.zone, 'c', client);
    switch (config_.in_flight->Acquire(key, config_.connections, now)) {
      case RateLimitTable::Slot::kTaken:
        connection_key_ = key == 0 ? 1 : key;
        break;
      case RateLimitTable::Slot::kRefused:
        return Refuse(config_.connection_status, 1000, "requests in flight");
      case RateLimitTable::Slot::kUntracked:
        break;
    }
  }
  return FilterStatus::kContinue;
}

FilterStatus RateLimitFilter::Refuse(int status, uint64_t wait_ms, absl::string_view what) {
  http::HeaderMap headers;
  if (status == 429) headers.Add("Retry-After", absl::StrCat((wait_ms + 999) / 1000));
  callbacks().SendLocalReply(status, absl::StrCat("too many ", what, " from this client"),
                             std::move(headers));
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
