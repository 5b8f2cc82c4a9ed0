// The rebuild loop's timing rules, with the time passed in: no clocks, no sleeps.
#include "controlplane/server/debouncer.h"

#include "gtest/gtest.h"

namespace gatehouse::controlplane::server {
namespace {

constexpr absl::Duration kHoldoff = absl::Milliseconds(50);
constexpr absl::Duration kMaxDelay = absl::Milliseconds(500);

absl::Time At(int ms) { return absl::UnixEpoch() + absl::Milliseconds(ms); }

TEST(DebouncerTest, NothingIsDueBeforeTheSourceSynced) {
  Debouncer debouncer(kHoldoff, kMaxDelay);
  debouncer.OnChange(At(0));
  debouncer.OnChange(At(10));
  EXPECT_EQ(debouncer.Deadline(), absl::InfiniteFuture());
  EXPECT_TRUE(debouncer.OnSynced(At(1000)));
  EXPECT_FALSE(debouncer.OnSynced(At(1001)));  // only once
  EXPECT_TRUE(debouncer.Due(At(1000)));
}

TEST(DebouncerTest, AnEmptyWorldStillGetsAFirstSnapshot) {
  Debouncer debouncer(kHoldoff, kMaxDelay);
  debouncer.OnSynced(At(5));
  EXPECT_TRUE(debouncer.Due(At(5)));
  debouncer.OnRebuilt(At(5));
  EXPECT_EQ(debouncer.Deadline(), absl::InfiniteFuture());  // nothing changed since
}

TEST(DebouncerTest, AChangeAfterAQuietSpellIsDueAtOnce) {
  Debouncer debouncer(kHoldoff, kMaxDelay);
  debouncer.OnSynced(At(0));
  debouncer.OnRebuilt(At(0));
  debouncer.OnChange(At(600));  // quiet for longer than max_delay
  EXPECT_EQ(debouncer.Deadline(), At(600));
}

TEST(DebouncerTest, ABurstAfterARebuildWaitsForQuietButNotPastMaxDelay) {
  Debouncer debouncer(kHoldoff, kMaxDelay);
  debouncer.OnSynced(At(0));
  debouncer.OnRebuilt(At(0));
  debouncer.OnChange(At(100));
  EXPECT_EQ(debouncer.Deadline(), At(150));  // holdoff after the last change
  debouncer.OnChange(At(140));
  EXPECT_EQ(debouncer.Deadline(), At(190));
  EXPECT_FALSE(debouncer.Due(At(189)));
  // Changes that never stop are still published max_delay after the first one.
  for (int t = 180; t < 700; t += 40) debouncer.OnChange(At(t));
  EXPECT_EQ(debouncer.Deadline(), At(600));
  debouncer.OnRebuilt(At(600));
  EXPECT_EQ(debouncer.Deadline(), absl::InfiniteFuture());
}

TEST(DebouncerTest, TheSecondChangeOfABurstIsCoalesced) {
  Debouncer debouncer(kHoldoff, kMaxDelay);
  debouncer.OnSynced(At(0));
  debouncer.OnRebuilt(At(0));
  debouncer.OnChange(At(1000));
  ASSERT_TRUE(debouncer.Due(At(1000)));
  debouncer.OnRebuilt(At(1000));
  debouncer.OnChange(At(1010));  // right after a rebuild: held back
  EXPECT_EQ(debouncer.Deadline(), At(1060));
}

}  // namespace
}  // namespace gatehouse::controlplane::server
