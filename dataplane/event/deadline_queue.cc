#include "dataplane/event/deadline_queue.h"

#include <algorithm>
#include <chrono>

namespace gatehouse::dataplane::event {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DeadlineQueue::Entry::~Entry() { Disarm(*this); }

DeadlineQueue::DeadlineQueue(Dispatcher& dispatcher, absl::Duration timeout)
    : timeout_ms_(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))),
      timer_(std::make_unique<Timer>(dispatcher, [this] { OnTimer(); })) {}

DeadlineQueue::~DeadlineQueue() { Close(); }

void DeadlineQueue::Close() {
  while (head_ != nullptr) Unlink(*head_);
  timer_.reset();
}

void DeadlineQueue::Arm(Entry& entry) {
  Disarm(entry);
  if (timer_ == nullptr) return;
  entry.queue_ = this;
  entry.deadline_ms_ = NowMs() + timeout_ms_;
  entry.prev_ = tail_;
  entry.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &entry;
  } else {
    head_ = &entry;
    timer_->Start(static_cast<uint64_t>(timeout_ms_));
  }
  tail_ = &entry;
}

void DeadlineQueue::Disarm(Entry& entry) {
  if (entry.queue_ != nullptr) entry.queue_->Unlink(entry);
}

void DeadlineQueue::Unlink(Entry& entry) {
  (entry.prev_ != nullptr ? entry.prev_->next_ : head_) = entry.next_;
  (entry.next_ != nullptr ? entry.next_->prev_ : tail_) = entry.prev_;
  entry.prev_ = entry.next_ = nullptr;
  entry.queue_ = nullptr;
  // The timer stays set for the old head; when it fires early it simply sets itself again.
}

void DeadlineQueue::OnTimer() {
  const int64_t now = NowMs();
  while (head_ != nullptr && head_->deadline_ms_ <= now) {
    Entry& expired = *head_;
    Unlink(expired);
    expired.OnDeadline();  // may arm or disarm others, never free this queue
  }
  RestartTimer();
}

void DeadlineQueue::RestartTimer() {
  if (head_ == nullptr || timer_ == nullptr) return;
  timer_->Start(static_cast<uint64_t>(std::max<int64_t>(1, head_->deadline_ms_ - NowMs())));
}

}  // namespace gatehouse::dataplane::event
