// A Dispatcher running on a thread of its own, for tests that drive it from the test thread.
#pragma once

#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/metrics.h"
#include "dataplane/event/dispatcher.h"

namespace gatehouse::dataplane::event {

class RunningDispatcher {
 public:
  // With `busy`, the loop measures its busy time per turn into it.
  explicit RunningDispatcher(Histogram* busy = nullptr) {
    if (busy != nullptr) dispatcher_.MeasureBusyTime(busy);
    thread_ = std::thread([this] { dispatcher_.Run(); });
  }
  ~RunningDispatcher() { Stop(); }
  RunningDispatcher(const RunningDispatcher&) = delete;
  RunningDispatcher& operator=(const RunningDispatcher&) = delete;

  Dispatcher& dispatcher() { return dispatcher_; }

  // Posts `fn` and waits until it has run.
  void RunOnLoop(std::function<void()> fn) {
    absl::Notification done;
    dispatcher_.Post([&] {
      fn();
      done.Notify();
    });
    done.WaitForNotification();
  }

  // Ends the loop, running `before_exit` on it first (to close what the test owns there), and
  // waits for the thread. Later calls do nothing.
  void Stop(std::function<void()> before_exit = nullptr) {
    if (!thread_.joinable()) return;
    dispatcher_.Exit(std::move(before_exit));
    thread_.join();
  }

 private:
  Dispatcher dispatcher_;
  std::thread thread_;
};

}  // namespace gatehouse::dataplane::event
