// One event loop per worker thread, and the one door into it from other threads.
//
// Dispatcher owns a libuv loop. Other threads hand it work with Post(); code on the loop's own
// thread creates timers and TCP handles through it (timer.h, tcp.h) and retires objects that
// are still on the call stack with DeferDelete(). Nothing outside dataplane/event sees libuv.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics.h"

namespace gatehouse::dataplane::event {

class Timer;

// An object whose destruction must wait until the loop has unwound the current callback.
class DeferredDeletable {
 public:
  virtual ~DeferredDeletable() = default;
};

class Dispatcher {
 public:
  Dispatcher();
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Runs `fn` on the loop's thread. Thread-safe; callbacks posted before Exit() all run.
  void Post(std::function<void()> fn);

  // Runs the loop on the calling thread until Exit() is posted and every handle has closed.
  void Run();
  // Asks the loop to stop once its handles are closed; thread-safe. `before_exit` runs on the
  // loop thread first, to close what it owns.
  void Exit(std::function<void()> before_exit = nullptr);

  // Destroys `object` on a later turn of the loop. Loop thread only.
  void DeferDelete(std::unique_ptr<DeferredDeletable> object);

  // Handles nobody owns any more but that still finish some work (a connection writing its
  // last bytes) register here. `force_close` runs once `timeout_ms` has passed, or when Exit()
  // ends the loop, unless RemoveLingering came first. Loop thread only.
  void AddLingering(void* key, uint64_t timeout_ms, std::function<void()> force_close);
  void RemoveLingering(void* key);
  // How many handles linger (a closed connection still writing); thread-safe.
  int lingering() const { return lingering_count_.load(); }

  // Calls `fn(key)` once, after the I/O callbacks of this turn of the loop: so a connection can
  // send everything one event made it write (a response's head and body) in one system call,
  // or go on parsing on a fresh stack. Loop thread only; CancelCallAfterIo before `key` goes
  // away.
  void CallAfterIo(void* key, void (*fn)(void*));
  void CancelCallAfterIo(void* key);

  // A socket was read this turn. After a turn with several, the loop yields its core before
  // polling again: on a core shared with its peers, one poll then gathers what they answered
  // meanwhile, where it would otherwise wake them, and be woken, once per event. Loop thread
  // only.
  void NoteRead() { ++reads_this_turn_; }

  // A string to gather one turn's writes in, and back when they are sent: connections hold one
  // only while they have bytes to send, not for their whole (mostly idle) life. Loop thread only.
  std::unique_ptr<std::string> TakeOutbox();
  void ReturnOutbox(std::unique_ptr<std::string> outbox);

  // From now on, records in `histogram` how long each turn of the loop kept the thread busy (its
  // callbacks, not the wait for events): the longest turn is the longest any event waited for
  // the loop. Call before Run().
  void MeasureBusyTime(Histogram* histogram);

  // The underlying loop, for the handle wrappers in this folder only.
  void* raw_loop() { return loop_.get(); }

 private:
  struct Loop;
  void DrainPosted();
  void DrainDeferred();

  std::unique_ptr<Loop> loop_;
  absl::Mutex mutex_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<DeferredDeletable>> deferred_;
  struct Lingering {
    std::function<void()> force_close;
    std::unique_ptr<Timer> timer;  // runs force_close when the time is up
  };
  std::map<void*, Lingering> lingering_;
  std::atomic<int> lingering_count_{0};
  std::vector<std::pair<void*, void (*)(void*)>> after_io_;
  std::vector<std::pair<void*, void (*)(void*)>> after_io_running_;  // kept for its capacity
  std::vector<std::unique_ptr<std::string>> outboxes_;  // empty, for TakeOutbox
  bool exiting_ = false;
  int reads_this_turn_ = 0;
};

}  // namespace gatehouse::dataplane::event
