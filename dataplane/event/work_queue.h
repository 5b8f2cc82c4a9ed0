// Work that would stall the event loop (a bcrypt password check takes up to a quarter of a
// second; a long path against a host's costliest regex paths tens of milliseconds) runs on
// libuv's thread pool, and its completion back on the loop.
//
// Each piece of work belongs to a share (the virtual host it serves: one tenant). The queue is
// fair between shares and bounded for each:
// - at most `limit` pieces wait or run at once, and each share at most an eighth of them: past
//   either, Submit refuses, and the caller answers for itself (a 503) rather than letting a
//   flood of costly requests queue without end;
// - at most `running_limit` pieces are on the pool at once; the next to go is the waiting
//   piece of the share that started one least recently, so one share's flood delays another's
//   work by at most the pieces already running;
// - the pool's threads run at a lower priority than the loops (nice 10), so work on them slows
//   the proxying of other requests only as far as the machine has cores to spare.
// The pool's threads are shared by every worker of the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "dataplane/event/dispatcher.h"

namespace gatehouse::dataplane::event {

class WorkQueue {
 public:
  WorkQueue(Dispatcher& dispatcher, size_t limit, size_t running_limit = 2);
  // Work still waiting is cancelled. Work already on the pool finishes there; no `done` runs
  // after the queue is gone.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Runs `work` on a pool thread, then `done(true)` on the loop's thread, never from inside
  // Submit. `work` must touch only what it owns or shares safely across threads. Returns false,
  // and runs neither, when `limit` pieces are already waiting or running, or `share` already
  // holds its part of them. Loop thread only.
  bool Submit(absl::string_view share, absl::AnyInvocable<void()> work,
              absl::AnyInvocable<void(bool ran)> done);

  // Cancels the work that has not started; its `done` gets ran = false, on a later turn of the
  // loop, or never when the loop is exiting (the queue then frees it). Loop thread only.
  void CancelWaiting();

  size_t in_flight() const { return in_flight_; }
  size_t in_flight(absl::string_view share) const;
  size_t limit() const { return limit_; }
  size_t per_share_limit() const { return per_share_limit_; }

 private:
  struct Item;
  struct Share {
    size_t held = 0;            // pieces waiting or running
    uint64_t last_started = 0;  // 0: none yet
    std::deque<Item*> waiting;  // oldest first
  };

  // Hands waiting work to the pool while fewer than running_limit_ pieces are there.
  void StartWaiting();
  void Start(Item* item);
  // `item` finished (ran or cancelled): its share gives its place back.
  void Release(Item* item);

  Dispatcher& dispatcher_;
  const size_t limit_;
  const size_t per_share_limit_;
  const size_t running_limit_;
  size_t in_flight_ = 0;
  size_t running_ = 0;
  uint64_t starts_ = 0;
  absl::flat_hash_map<std::string, Share> shares_;  // no entry: nothing held
  Item* on_pool_ = nullptr;       // every piece handed to the pool and not yet done, as a list
  std::vector<Item*> cancelled_;  // taken off the waiting lists; their `done` is posted
  bool cancel_posted_ = false;
  std::shared_ptr<bool> alive_;  // what posted callbacks check the queue by
};

}  // namespace gatehouse::dataplane::event
