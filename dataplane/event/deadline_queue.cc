#include "dataplane/event/deadline_queue.h"

#include <algorithm>

#include "dataplane/event/clock.h"

namespace gatehouse::dataplane::event {

DeadlineQueue::Entry::~Entry() { Disarm(*this); }

DeadlineQueue::DeadlineQueue(Dispatcher& dispatcher, absl::Duration timeout)
    : timeout_ms_(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))),
      timer_(std::make_unique<Timer>(dispatcher, [this] { OnTimer(); })) {
  head_.prev = head_.next = &head_;
}

DeadlineQueue::~DeadlineQueue() { Close(); }

void DeadlineQueue::Close() {
  while (!empty()) Unlink(*head_.next);
  timer_.reset();
}

void DeadlineQueue::Arm(Entry& entry) {
  Disarm(entry);
  if (timer_ == nullptr) return;
  bool was_empty = empty();
  entry.deadline_ms_ = MonotonicNowMs() + timeout_ms_;
  Link& link = entry;
  link.prev = head_.prev;
  link.next = &head_;
  head_.prev->next = &link;
  head_.prev = &link;
  if (was_empty) timer_->Start(static_cast<uint64_t>(timeout_ms_));
}

void DeadlineQueue::Disarm(Entry& entry) {
  if (entry.armed()) Unlink(entry);
}

void DeadlineQueue::Unlink(Link& link) {
  link.prev->next = link.next;
  link.next->prev = link.prev;
  link.prev = link.next = nullptr;
  // A timer set for an entry that left fires early and simply sets itself again.
}

void DeadlineQueue::OnTimer() {
  const int64_t now = MonotonicNowMs();
  while (!empty() && first().deadline_ms_ <= now) {
    Entry& expired = first();
    Unlink(expired);
    expired.OnDeadline();  // may arm or disarm others, never free this queue
  }
  RestartTimer();
}

void DeadlineQueue::RestartTimer() {
  if (empty() || timer_ == nullptr) return;
  timer_->Start(
      static_cast<uint64_t>(std::max<int64_t>(1, first().deadline_ms_ - MonotonicNowMs())));
}

}  // namespace gatehouse::dataplane::event
