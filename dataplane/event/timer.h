// A one-shot or repeating timer on a Dispatcher's loop, embedded in the object that owns it.
// Destroying the Timer cancels it; its callback never runs afterwards.
#pragma once

#include <cstdint>
#include <functional>

#include "dataplane/event/dispatcher.h"

namespace gatehouse::dataplane::event {

class Timer {
 public:
  Timer(Dispatcher& dispatcher, std::function<void()> callback);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)arms the timer to fire after `timeout_ms`, then every `repeat_ms` if non-zero.
  void Start(uint64_t timeout_ms, uint64_t repeat_ms = 0);
  void Stop();

 private:
  struct Handle;
  Handle* handle_;  // freed in its close callback
};

}  // namespace gatehouse::dataplane::event
