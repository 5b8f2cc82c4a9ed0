#include "dataplane/event/buffer_budget.h"

#include <algorithm>

#include "common/log.h"

namespace gatehouse::dataplane::event {

BufferBudget::BufferBudget(Dispatcher& dispatcher, size_t limit)
    : dispatcher_(dispatcher), limit_(limit) {}

BufferBudget::~BufferBudget() {
  if (wake_scheduled_) dispatcher_.CancelCallAfterIo(this);
  if (used_ != 0) LOG_ERROR("a connection's buffer budget ended with ", used_, " bytes charged");
}

void BufferBudget::Release(size_t bytes) {
  used_ = bytes < used_ ? used_ - bytes : 0;
  if (waiters_.empty() || wake_scheduled_ || used_ > limit_ / 2) return;
  wake_scheduled_ = true;
  dispatcher_.CallAfterIo(this, [](void* self) { static_cast<BufferBudget*>(self)->Wake(); });
}

void BufferBudget::Wait(Waiter waiter) { waiters_.push_back(waiter); }

void BufferBudget::Forget(void* arg) {
  waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(),
                                [arg](const Waiter& w) { return w.arg == arg; }),
                 waiters_.end());
  if (waking_ != nullptr) {
    for (Waiter& w : *waking_) {
      if (w.arg == arg) w.fn = nullptr;
    }
  }
}

void BufferBudget::Wake() {
  wake_scheduled_ = false;
  if (used_ > limit_ / 2) return;  // filled again meanwhile: the waiters wait on
  // A waiter may wait again, or make another go away, while being called: take the list first
  // and skip whoever was forgotten meanwhile.
  std::vector<Waiter> waking;
  waking.swap(waiters_);
  waking_ = &waking;
  for (size_t i = 0; i < waking.size(); ++i) {
    Waiter w = waking[i];
    if (w.fn != nullptr) w.fn(w.arg);
  }
  waking_ = nullptr;
}

}  // namespace gatehouse::dataplane::event
