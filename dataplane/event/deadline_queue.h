// Timeouts that all have the same duration, such as a worker's idle timeout for its kept-alive
// connections: kept in the order they were armed, which is also the order they expire in, so
// arming and disarming cost O(1) and one timer serves the whole queue. An entry is a few words
// embedded in its owner, where a timer of its own would be a libuv handle and an allocation.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/event/timer.h"

namespace gatehouse::dataplane::event {

class DeadlineQueue {
  // A link of the queue's circular list; the queue's own is the list's head.
  struct Link {
    Link* prev = nullptr;  // null while not in a queue
    Link* next = nullptr;
  };

 public:
  class Entry : private Link {
   public:
    Entry() = default;
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    // Disarms.
    virtual ~Entry();
    bool armed() const { return prev != nullptr; }

   private:
    friend class DeadlineQueue;
    // The timeout expired; the entry is already disarmed. Loop thread.
    virtual void OnDeadline() = 0;

    int64_t deadline_ms_ = 0;
  };

  DeadlineQueue(Dispatcher& dispatcher, absl::Duration timeout);
  ~DeadlineQueue();
  DeadlineQueue(const DeadlineQueue&) = delete;
  DeadlineQueue& operator=(const DeadlineQueue&) = delete;

  // Starts `entry`'s timeout from now, taking it out of any queue it was in.
  void Arm(Entry& entry);
  // Takes `entry` out of its queue, if any; it will not expire.
  static void Disarm(Entry& entry);
  // Disarms every entry and releases the timer, so the loop can end; Arm does nothing after.
  void Close();

 private:
  static void Unlink(Link& link);
  bool empty() const { return head_.next == &head_; }
  Entry& first() { return static_cast<Entry&>(*head_.next); }
  void OnTimer();
  void RestartTimer();

  const int64_t timeout_ms_;
  std::unique_ptr<Timer> timer_;  // null once closed
  Link head_;                     // head_.next expires first, head_.prev last
};

// An entry that calls `(owner->*fn)()` when it expires: for an owner with several deadlines.
template <typename Owner, void (Owner::*fn)()>
class MemberDeadline final : public DeadlineQueue::Entry {
 public:
  explicit MemberDeadline(Owner* owner) : owner_(owner) {}

 private:
  void OnDeadline() override { (owner_->*fn)(); }
  Owner* const owner_;
};

}  // namespace gatehouse::dataplane::event
