// The rate-limit filter. Reference: ingress-nginx's annotations documentation ("Rate
// Limiting": limit-rps and limit-rpm with a burst of the limit times limit-burst-multiplier,
// default 5; limit-connections; limit-allowlist exempts CIDRs; over the limit the answer is
// limit-req-status-code, default 503) and its template, where both rates apply and a request
// refused by one counts for neither. The issue adds Retry-After with 429.
#include "dataplane/filters/rate_limit.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::Request;

v1::RateLimit Config(uint32_t rps, uint32_t rpm, uint32_t connections, uint32_t status = 503) {
  v1::RateLimit config;
  config.set_zone("default/app");
  config.set_requests_per_second(rps);
  config.set_requests_per_minute(rpm);
  config.set_burst_multiplier(5);
  config.set_connections(connections);
  config.set_request_status(status);
  config.set_connection_status(status);
  return config;
}

// Runs requests from `client` through fresh instances of the compiled filter; keeps those that
// passed (their in-flight slots) until the end of the test.
class Requests {
 public:
  Requests(const v1::RateLimit& config, RateLimitTable* table) {
    auto factory = RateLimitFilter::Compile(config, table, &in_flight_);
    EXPECT_TRUE(factory.ok()) << factory.status();
    factory_ = *factory;
  }
  // The status: 0 when the request went on.
  int Send(const char* client, std::string* retry_after = nullptr) {
    auto callbacks = std::make_unique<FakeFilterCallbacks>("http", client);
    std::unique_ptr<Filter> filter = factory_->Create();
    filter->set_callbacks(*callbacks);
    http::RequestHead head = Request("GET", "a.test", "/");
    if (filter->OnRequestHeaders(head, true) == FilterStatus::kContinue) {
      alive_.push_back(std::move(filter));
      keep_.push_back(std::move(callbacks));
      return 0;
    }
    if (retry_after != nullptr) {
      const std::string* value = callbacks->local_reply->headers.Get("retry-after");
      *retry_after = value == nullptr ? "" : *value;
    }
    return callbacks->local_reply->status;
  }
  void EndAll() { alive_.clear(); }

 private:
  RateLimitTable in_flight_;
  std::shared_ptr<const FilterFactory> factory_;
  std::vector<std::unique_ptr<Filter>> alive_;
  std::vector<std::unique_ptr<FakeFilterCallbacks>> keep_;
};

TEST(RateLimitFilterTest, PerSecondAllowsTheBurstThenRefusesWith503) {
  RateLimitTable table;
  Requests requests(Config(2, 0, 0), &table);
  int passed = 0;
  for (int i = 0; i < 20; ++i) passed += requests.Send("192.0.2.1") == 0;
  EXPECT_EQ(passed, 11);  // 2 x 5 + 1
  EXPECT_EQ(requests.Send("192.0.2.1"), 503);
  EXPECT_EQ(requests.Send("192.0.2.2"), 0);  // another client
}

TEST(RateLimitFilterTest, With429TheAnswerSaysWhenToComeBack) {
  RateLimitTable table;
  Requests requests(Config(0, 60, 0, 429), &table);
  for (int i = 0; i < 301; ++i) EXPECT_EQ(requests.Send("192.0.2.1"), 0) << i;
  std::string retry_after;
  EXPECT_EQ(requests.Send("192.0.2.1", &retry_after), 429);
  EXPECT_EQ(retry_after, "1");
}

TEST(RateLimitFilterTest, BothRatesApplyAndARefusedRequestCountsForNeither) {
  RateLimitTable table;
  // 10 r/s (burst 50) but 1 r/m (burst 5): the minute refuses after 6.
  Requests requests(Config(10, 1, 0), &table);
  int passed = 0;
  for (int i = 0; i < 50; ++i) passed += requests.Send("192.0.2.1") == 0;
  EXPECT_EQ(passed, 6);
  // The per-second zone counted 6, not 50: a client of the same zone and address with only the
  // per-second rate has 45 left (and what drained meanwhile, at 10 a second), not about none.
  Requests seconds(Config(10, 0, 0), &table);
  int more = 0;
  for (int i = 0; i < 200; ++i) more += seconds.Send("192.0.2.1") == 0;
  EXPECT_GE(more, 45);
  EXPECT_LE(more, 60);
}

TEST(RateLimitFilterTest, ConnectionsBoundTheRequestsInFlight) {
  RateLimitTable table;
  Requests requests(Config(0, 0, 2), &table);
  EXPECT_EQ(requests.Send("192.0.2.1"), 0);
  EXPECT_EQ(requests.Send("192.0.2.1"), 0);
  EXPECT_EQ(requests.Send("192.0.2.1"), 503);
  EXPECT_EQ(requests.Send("192.0.2.9"), 0);
  requests.EndAll();  // the requests end: their slots come back
  EXPECT_EQ(requests.Send("192.0.2.1"), 0);
}

TEST(RateLimitFilterTest, AllowlistedClientsAreNotLimited) {
  RateLimitTable table;
  v1::RateLimit config = Config(1, 0, 1);
  config.add_allowlist("10.0.0.0/8");
  Requests requests(config, &table);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(requests.Send("10.1.2.3"), 0);
  EXPECT_EQ(requests.Send("192.0.2.1"), 0);
  EXPECT_EQ(requests.Send("192.0.2.1"), 503);  // its one connection is in flight
}

TEST(RateLimitFilterTest, ConfigsThatCannotWorkAreRefusedAtCompile) {
  RateLimitTable table;
  v1::RateLimit config = Config(1, 0, 0);
  config.set_burst_multiplier(0);
  EXPECT_FALSE(RateLimitFilter::Compile(config, &table, &table).ok());
  EXPECT_FALSE(RateLimitFilter::Compile(Config(1, 0, 0, 302), &table, &table).ok());
  config = Config(1, 0, 0);
  config.add_allowlist("10.0.0.0/33");
  EXPECT_FALSE(RateLimitFilter::Compile(config, &table, &table).ok());
  config = Config(1, 0, 0);
  config.clear_zone();
  EXPECT_FALSE(RateLimitFilter::Compile(config, &table, &table).ok());
  EXPECT_FALSE(
      RateLimitFilter::Compile(Config(RateLimitFilter::kMaxLimit + 1, 0, 0), &table, &table).ok());
  EXPECT_TRUE(
      RateLimitFilter::Compile(Config(RateLimitFilter::kMaxLimit, 0, 0), &table, &table).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
