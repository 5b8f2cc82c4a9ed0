// Work that would stall the event loop (a bcrypt password check takes up to a quarter of a
// second) runs on libuv's thread pool, and its completion back on the loop.
//
// Each worker has one queue with a bound on the work it has waiting or running: past it, Submit
// refuses, and the caller answers for itself (a 503) rather than letting a flood of costly
// requests queue without end. The pool's threads are shared by every worker of the process.
#pragma once

#include <cstddef>

#include "absl/functional/any_invocable.h"
#include "dataplane/event/dispatcher.h"

namespace gatehouse::dataplane::event {

class WorkQueue {
 public:
  WorkQueue(Dispatcher& dispatcher, size_t limit);
  // Work still queued is cancelled; its `done` runs with ran = false on a later turn. The loop
  // runs until every piece of work submitted has finished, so nothing outlives it.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Runs `work` on a pool thread, then `done(true)` on the loop's thread, never from inside
  // Submit. `work` must touch only what it owns or shares safely across threads. Returns false,
  // and runs neither, when `limit` pieces are already waiting or running. Loop thread only.
  bool Submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void(bool ran)> done);

  // Cancels the work that has not started; its `done` gets ran = false. Loop thread only.
  void CancelWaiting();

  size_t in_flight() const { return in_flight_; }
  size_t limit() const { return limit_; }

 private:
  struct Item;

  Dispatcher& dispatcher_;
  const size_t limit_;
  size_t in_flight_ = 0;
  Item* items_ = nullptr;  // every item submitted and not yet done, as a list
};

}  // namespace gatehouse::dataplane::event
