// When a failed attempt may go to another endpoint: nginx's proxy_next_upstream rules, as
// ingress-nginx's proxy-next-upstream annotations set them (the failure is listed; attempts and
// time within their bounds; a request already sent goes again only whole, kept, and idempotent
// or with non_idempotent).
#include "dataplane/proxy/retry_state.h"

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::proxy {
namespace {

using Failure = RetryState::Failure;

TEST(RetryStateTest, OnlyListedFailuresWithinTriesAndTime) {
  v1::RetryPolicy policy;
  policy.set_on_error(true);
  policy.add_statuses(502);
  policy.set_tries(2);
  policy.set_timeout_ms(1000);
  absl::Time start = absl::FromUnixSeconds(1000);
  RetryState retry;
  retry.Start(&policy, start);
  retry.OnAttempt();
  EXPECT_TRUE(retry.Allows(Failure::kError, 0, false, false, "GET", start));
  EXPECT_FALSE(retry.Allows(Failure::kTimeout, 0, false, false, "GET", start));
  EXPECT_TRUE(retry.Allows(Failure::kStatus, 502, true, true, "GET", start));
  EXPECT_FALSE(retry.Allows(Failure::kStatus, 503, true, true, "GET", start));
  EXPECT_FALSE(retry.Allows(Failure::kError, 0, false, false, "GET", start + absl::Seconds(1)));
  retry.OnAttempt();
  EXPECT_FALSE(retry.Allows(Failure::kError, 0, false, false, "GET", start));  // 2 of 2 made
}

TEST(RetryStateTest, ASentRequestGoesAgainOnlyWholeKeptAndIdempotent) {
  v1::RetryPolicy policy;
  policy.set_on_error(true);
  RetryState retry;
  absl::Time now = absl::Now();
  retry.Start(&policy, now);
  retry.OnAttempt();
  EXPECT_TRUE(retry.Allows(Failure::kError, 0, /*sent=*/false, false, "POST", now));
  EXPECT_FALSE(retry.Allows(Failure::kError, 0, /*sent=*/true, true, "POST", now));
  EXPECT_FALSE(retry.Allows(Failure::kError, 0, true, /*complete=*/false, "PUT", now));
  EXPECT_TRUE(retry.Allows(Failure::kError, 0, true, true, "PUT", now));
  policy.set_non_idempotent(true);
  EXPECT_TRUE(retry.Allows(Failure::kError, 0, true, true, "POST", now));
  retry.CaptureBody(std::string(kMaxReplayBody, 'x'));
  EXPECT_EQ(retry.body().size(), kMaxReplayBody);
  retry.CaptureBody("y");  // one byte more than is kept
  EXPECT_TRUE(retry.body().empty());
  EXPECT_FALSE(retry.Allows(Failure::kError, 0, true, true, "POST", now));
  EXPECT_TRUE(retry.Allows(Failure::kError, 0, false, true, "POST", now));  // not sent yet

  RetryState with_trailers;
  with_trailers.Start(&policy, now);
  with_trailers.OnTrailers();
  EXPECT_FALSE(with_trailers.Allows(Failure::kError, 0, true, true, "GET", now));
}

TEST(RetryStateTest, NoTriesMeansTheDataPlanesBoundAndNoPolicyNothing) {
  v1::RetryPolicy policy;
  policy.set_on_timeout(true);
  RetryState retry;
  absl::Time now = absl::Now();
  retry.Start(&policy, now);
  for (uint32_t i = 0; i < kMaxRetryTries; ++i) {
    retry.OnAttempt();
    EXPECT_EQ(retry.Allows(Failure::kTimeout, 0, false, false, "GET", now), i + 1 < kMaxRetryTries)
        << i;
  }
  RetryState none;
  none.Start(nullptr, now);
  none.OnAttempt();
  EXPECT_FALSE(none.Allows(Failure::kError, 0, false, false, "GET", now));
}

}  // namespace
}  // namespace gatehouse::dataplane::proxy
