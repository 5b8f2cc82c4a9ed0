// Work off the loop: it runs on another thread, its completion on the loop's, never inside
// Submit; the bound refuses work past it; work not yet started can be cancelled.
#include "dataplane/event/work_queue.h"

#include <atomic>
#include <thread>

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
  absl::Notification finished;
  loop.RunOnLoop([&] {
    queue = std::make_unique<WorkQueue>(loop.dispatcher(), 4);
    loop_thread = std::this_thread::get_id();
    bool submitting = true;
    EXPECT_TRUE(queue->Submit([&] { work_thread = std::this_thread::get_id(); },
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
  std::atomic<int> ran{0}, cancelled{0}, completed{0};
  // libuv's pool has 4 threads: 4 blocked pieces hold them, and the rest wait.
  constexpr int kBlocking = 4, kWaiting = 3;
  loop.RunOnLoop([&] {
    queue = std::make_unique<WorkQueue>(loop.dispatcher(), kBlocking + kWaiting);
    for (int i = 0; i < kBlocking + kWaiting; ++i) {
      bool blocks = i < kBlocking;
      EXPECT_TRUE(queue->Submit(
          [&, blocks] {
            if (blocks) release.WaitForNotification();
            ++ran;
          },
          [&](bool did) { ++(did ? completed : cancelled); }));
    }
    EXPECT_FALSE(queue->Submit([] {}, [](bool) {}));
  });
  absl::SleepFor(absl::Milliseconds(100));  // the blocking pieces take the pool's threads
  loop.RunOnLoop([&] { queue->CancelWaiting(); });
  release.Notify();
  for (int i = 0; i < 200 && completed + cancelled < kBlocking + kWaiting; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(completed.load(), kBlocking);
  EXPECT_EQ(cancelled.load(), kWaiting);
  EXPECT_EQ(ran.load(), kBlocking);
  loop.RunOnLoop([&] {
    EXPECT_EQ(queue->in_flight(), 0u);
    EXPECT_TRUE(queue->Submit([] {}, [](bool) {}));  // room again
  });
  loop.Stop([&] { queue.reset(); });
}

}  // namespace
}  // namespace gatehouse::dataplane::event
