#include "dataplane/event/dispatcher.h"

#include <atomic>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"

namespace gatehouse::dataplane::event {
namespace {

uint64_t CountAbove(const Histogram& histogram, double seconds) {
  std::vector<uint64_t> counts = histogram.BucketCounts();
  uint64_t above = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double lower = i == 0 ? 0 : histogram.bounds()[i - 1];
    if (lower >= seconds) above += counts[i];
  }
  return above;
}

TEST(DispatcherBusyTimeTest, ALongCallbackIsOneLongTurnAndWaitingIsNotBusy) {
  Histogram busy({0.001, 0.01, 0.025, 0.1, 1});
  {
    RunningDispatcher loop(&busy);
    loop.RunOnLoop([] {});
    absl::SleepFor(absl::Milliseconds(150));  // an idle loop: waiting is not busy time
    loop.RunOnLoop([] {});
    EXPECT_EQ(CountAbove(busy, 0.01), 0u);

    loop.RunOnLoop([] { absl::SleepFor(absl::Milliseconds(40)); });
    loop.RunOnLoop([] {});  // the next turn closes the measurement of the long one
  }
  EXPECT_EQ(CountAbove(busy, 0.025), 1u);  // the 40 ms callback, in the 25-100 ms bucket
  EXPECT_EQ(CountAbove(busy, 0.1), 0u);
}

TEST(DispatcherLingeringTest, ForceClosesAfterTheTimeoutUnlessRemovedAndAtExit) {
  Histogram busy({1});
  std::atomic<int> timed_out{0}, removed_ran{0}, at_exit{0};
  int a = 0, b = 0, c = 0;  // keys
  {
    RunningDispatcher loop(&busy);
    loop.RunOnLoop([&] {
      loop.dispatcher().AddLingering(&a, 50, [&] { ++timed_out; });
      loop.dispatcher().AddLingering(&b, 50, [&] { ++removed_ran; });
      loop.dispatcher().AddLingering(&c, 60 * 1000, [&] { ++at_exit; });
      loop.dispatcher().RemoveLingering(&b);
    });
    EXPECT_EQ(loop.dispatcher().lingering(), 2);
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (loop.dispatcher().lingering() != 1 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_EQ(loop.dispatcher().lingering(), 1);  // only the one with a minute to go
    EXPECT_EQ(timed_out, 1);
    EXPECT_EQ(at_exit, 0);
  }
  EXPECT_EQ(removed_ran, 0);
  EXPECT_EQ(at_exit, 1);  // Exit closed what still lingered
}

}  // namespace
}  // namespace gatehouse::dataplane::event
