// Work off the loop: it runs on another thread, at a lower priority, its completion on the
// loop's, never inside Submit; the bounds refuse work past them, for the queue and for each
// share; the next piece to run is the share's that started one least recently; work not yet
// started can be cancelled.
#include "dataplane/event/work_queue.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"

namespace gatehouse::dataplane::event {
namespace {

TEST(WorkQueueTest, WorkRunsOffTheLoopAndItsCompletionOnIt) {
  RunningDispatcher loop;
  std::unique_ptr<WorkQueue> queue;
  std::thread::id loop_thread, work_thread, done_thread;
  bool done_inside_submit = false;
  bool submitting = false;
  absl::Notification finished;
  loop.RunOnLoop([&] {
    queue = std::make_unique<WorkQueue>(loop.dispatcher(), 4);
    loop_thread = std::this_thread::get_id();
    submitting = true;
    EXPECT_TRUE(queue->Submit(
        "a.test", [&] { work_thread = std::this_thread::get_id(); },
        [&](bool ran) {
          EXPECT_TRUE(ran);
          done_inside_submit = submitting;
          done_thread = std::this_thread::get_id();
          finished.Notify();
        }));
    submitting = false;
    EXPECT_EQ(queue->in_flight(), 1u);
  });
  finished.WaitForNotification();
  EXPECT_NE(work_thread, loop_thread);
  EXPECT_EQ(done_thread, loop_thread);
  EXPECT_FALSE(done_inside_submit);
  loop.RunOnLoop([&] {
    EXPECT_EQ(queue->in_flight(), 0u);
    queue.reset();
  });
}

TEST(WorkQueueTest, WorkPastTheBoundIsRefusedAndWaitingWorkCanBeCancelled) {
  RunningDispatcher loop;
  std::unique_ptr<WorkQueue> queue;
  absl::Notification release;
  std::atomic<int> ran{0}, cancelled{0}, completed{0}, started{0};
  // Two blocked pieces hold the queue's two places on the pool, and the rest wait.
  constexpr int kBlocking = 2, kWaiting = 3;
  loop.RunOnLoop([&] {
    queue = std::make_unique<WorkQueue>(loop.dispatcher(), kBlocking + kWaiting,
                                        /*running_limit=*/kBlocking);
    for (int i = 0; i < kBlocking + kWaiting; ++i) {
      bool blocks = i < kBlocking;
      EXPECT_TRUE(queue->Submit(
          absl::StrCat("host-", i),  // a share each: a share's own bound is 1 here
          [&, blocks] {
            if (blocks) {
              ++started;
              release.WaitForNotification();
            }
            ++ran;
          },
          [&](bool did) { ++(did ? completed : cancelled); }));
    }
    EXPECT_FALSE(queue->Submit(
        "another", [] {}, [](bool) {}));
  });
  // The blocking pieces have started on the pool's threads: only the rest can be cancelled.
  for (int i = 0; i < 200 && started < kBlocking; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(started.load(), kBlocking);
  bool cancelled_inside = false;
  loop.RunOnLoop([&] {
    queue->CancelWaiting();
    cancelled_inside = cancelled > 0;
  });
  EXPECT_FALSE(cancelled_inside);
  release.Notify();
  for (int i = 0; i < 200 && completed + cancelled < kBlocking + kWaiting; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(completed.load(), kBlocking);
  EXPECT_EQ(cancelled.load(), kWaiting);
  EXPECT_EQ(ran.load(), kBlocking);
  loop.RunOnLoop([&] {
    EXPECT_EQ(queue->in_flight(), 0u);
    EXPECT_TRUE(queue->Submit(
        "another", [] {}, [](bool) {}));  // room again
  });
  loop.Stop([&] { queue.reset(); });
}

TEST(WorkQueueTest, EachShareHoldsAnEighthOfTheBound) {
  RunningDispatcher loop;
  std::unique_ptr<WorkQueue> queue;
  absl::Notification release;
  std::atomic<int> completed{0};
  loop.RunOnLoop([&] {
    queue = std::make_unique<WorkQueue>(loop.dispatcher(), 16);
    EXPECT_EQ(queue->per_share_limit(), 2u);
    auto blocked = [&] { release.WaitForNotification(); };
    auto count = [&](bool) { ++completed; };
    EXPECT_TRUE(queue->Submit("flood.test", blocked, count));
    EXPECT_TRUE(queue->Submit("flood.test", blocked, count));
    EXPECT_FALSE(queue->Submit("flood.test", blocked, count));  // its share is full
    EXPECT_TRUE(queue->Submit("other.test", blocked, count));   // another's is not
    EXPECT_EQ(queue->in_flight("flood.test"), 2u);
    EXPECT_EQ(queue->in_flight("other.test"), 1u);
  });
  release.Notify();
  for (int i = 0; i < 200 && completed < 3; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(completed.load(), 3);
  loop.RunOnLoop([&] {
    EXPECT_EQ(queue->in_flight("flood.test"), 0u);
    EXPECT_TRUE(queue->Submit(
        "flood.test", [] {}, [](bool) {}));  // its places came back
  });
  loop.Stop([&] { queue.reset(); });
}

TEST(WorkQueueTest, TheShareThatStartedLeastRecentlyGoesNext) {
  RunningDispatcher loop;
  std::unique_ptr<WorkQueue> queue;
  absl::Notification release;
  absl::Mutex mu;
  std::vector<std::string> order;
  std::atomic<int> completed{0};
  loop.RunOnLoop([&] {
    queue = std::make_unique<WorkQueue>(loop.dispatcher(), 64, /*running_limit=*/1);
    auto piece = [&](std::string name, bool blocks) {
      return [&, name, blocks] {
        if (blocks) release.WaitForNotification();
        absl::MutexLock lock(&mu);
        order.push_back(name);
      };
    };
    auto count = [&](bool) { ++completed; };
    // A flood from one host, then one piece from another: it runs second, not last.
    EXPECT_TRUE(queue->Submit("flood.test", piece("flood-1", true), count));
    EXPECT_TRUE(queue->Submit("flood.test", piece("flood-2", false), count));
    EXPECT_TRUE(queue->Submit("flood.test", piece("flood-3", false), count));
    EXPECT_TRUE(queue->Submit("other.test", piece("other-1", false), count));
  });
  release.Notify();
  for (int i = 0; i < 200 && completed < 4; ++i) absl::SleepFor(absl::Milliseconds(10));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<std::string>{"flood-1", "other-1", "flood-2", "flood-3"}));
  loop.Stop([&] { queue.reset(); });
}

TEST(WorkQueueTest, WorkRunsAtALowerPriorityThanTheLoop) {
  RunningDispatcher loop;
  std::unique_ptr<WorkQueue> queue;
  std::atomic<int> nice{-100};
  absl::Notification finished;
  loop.RunOnLoop([&] {
    queue = std::make_unique<WorkQueue>(loop.dispatcher(), 4);
    EXPECT_TRUE(queue->Submit(
        "a.test", [&] { nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); },
        [&](bool) { finished.Notify(); }));
  });
  finished.WaitForNotification();
  EXPECT_GE(nice.load(), 10);
  // Above the loop's own, unless the test itself runs at 10 or more.
  int own = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  if (own < 10) EXPECT_GT(nice.load(), own);
  loop.Stop([&] { queue.reset(); });
}

}  // namespace
}  // namespace gatehouse::dataplane::event
