// The leaky bucket and in-flight counts behind the rate limits. Reference: nginx's
// ngx_http_limit_req_module documentation ("rate", "burst", "nodelay": excess requests within
// the burst are served at once, beyond it refused; the excess drains at the rate) and
// ngx_http_limit_conn_module ("the number of connections per the defined key"), which
// ingress-nginx's limit-rps, limit-rpm and limit-connections generate.
#include "dataplane/filters/rate_limit_table.h"

#include "gtest/gtest.h"

namespace gatehouse::dataplane::filters {
namespace {

// How many of `count` requests at `now_ms` pass.
int Passed(RateLimitTable& table, uint64_t key, uint64_t rate, uint64_t burst, int64_t now_ms,
           int count) {
  int passed = 0;
  for (int i = 0; i < count; ++i) passed += table.Take(key, rate, burst, now_ms) == 0;
  return passed;
}

TEST(RateLimitTableTest, FromIdleTheBurstAndOneMorePassThenOnePerInterval) {
  RateLimitTable table;
  // 1 r/s with burst 5 (ingress-nginx's limit-rps 1, multiplier 5): 6 pass at once.
  EXPECT_EQ(Passed(table, 7, 1000, 5000, 1000000, 10), 6);
  // The 7th is told to wait about a second.
  EXPECT_EQ(table.Take(7, 1000, 5000, 1000000), 1000u);
  // Half a second drains half a request: still refused; a second drains one.
  EXPECT_EQ(Passed(table, 7, 1000, 5000, 1000500, 1), 0);
  EXPECT_EQ(Passed(table, 7, 1000, 5000, 1001000, 3), 1);
  // Idle long enough, the whole burst is back.
  EXPECT_EQ(Passed(table, 7, 1000, 5000, 1100000, 10), 6);
  // Other keys have their own counts.
  EXPECT_EQ(Passed(table, 8, 1000, 5000, 1000000, 10), 6);
}

TEST(RateLimitTableTest, ARequestAskedWithoutCommitIsNotCounted) {
  RateLimitTable table;
  using Mode = RateLimitTable::Mode;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(table.Take(9, 1000, 0, 5000, Mode::kCheck), 0u);
  EXPECT_EQ(Passed(table, 9, 1000, 0, 5000, 3), 1);
  // Recorded whatever the burst: the next request waits two intervals.
  EXPECT_EQ(table.Take(9, 1000, 0, 5000, Mode::kRecord), 0u);
  EXPECT_EQ(table.Take(9, 1000, 0, 5000), 2000u);
}

TEST(RateLimitTableTest, TheLargestRatesAfterALongIdleNeitherOverflowNorStick) {
  RateLimitTable table;
  const uint64_t rate = 1000000ull * 1000;  // a million requests per second
  const uint64_t burst = rate * 1000;       // times a multiplier of 1000
  EXPECT_EQ(table.Take(11, rate, burst, 1), 0u);
  // Ten years later.
  const int64_t later = int64_t{10} * 365 * 24 * 3600 * 1000;
  EXPECT_EQ(Passed(table, 11, rate, burst, later, 5), 5);
  EXPECT_EQ(Passed(table, 12, 1, 0, 1, 2), 1);  // the slowest rate: one per 1000 s
  EXPECT_EQ(Passed(table, 12, 1, 0, later, 1), 1);
}

TEST(RateLimitTableTest, InFlightRequestsAreBoundedAndGivenBack) {
  RateLimitTable table;
  EXPECT_EQ(table.Acquire(5, 2, 1), RateLimitTable::Slot::kTaken);
  EXPECT_EQ(table.Acquire(5, 2, 1), RateLimitTable::Slot::kTaken);
  EXPECT_EQ(table.Acquire(5, 2, 1), RateLimitTable::Slot::kRefused);
  table.Release(5);
  EXPECT_EQ(table.Acquire(5, 2, 1), RateLimitTable::Slot::kTaken);
}

TEST(RateLimitTableTest, AMillionAddressesEvictOldCountsAndNeverGrowTheTable) {
  RateLimitTable table;
  // Keys of one bucket: a key's counts survive until kWays newer keys of its bucket came.
  const uint64_t stride = RateLimitTable::kBuckets;
  EXPECT_EQ(Passed(table, stride, 1000, 0, 1, 2), 1);  // limited
  for (uint64_t i = 2; i < 2 + RateLimitTable::kWays; ++i) {
    EXPECT_EQ(Passed(table, i * stride, 1000, 0, static_cast<int64_t>(i), 1), 1);
  }
  EXPECT_EQ(Passed(table, stride, 1000, 0, 100, 1), 1);  // evicted: counted afresh
  for (uint64_t key = 1; key <= 1000000; ++key) table.Take(key * 7919, 1000, 0, 200);
  // Keys with requests in flight are never evicted; a full bucket passes the others untracked.
  RateLimitTable busy;
  for (uint64_t i = 1; i <= RateLimitTable::kWays; ++i) {
    EXPECT_EQ(busy.Acquire(i * stride, 1, 1), RateLimitTable::Slot::kTaken);
  }
  EXPECT_EQ(busy.Acquire(100 * stride, 1, 1), RateLimitTable::Slot::kUntracked);
  EXPECT_EQ(busy.Acquire(stride, 1, 1), RateLimitTable::Slot::kRefused);
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
