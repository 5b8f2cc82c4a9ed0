// A limit on the bytes one client connection makes the data plane hold, across all its streams
// and both directions (--max-connection-buffer).
//
// The buffers a connection fills are charged to its budget: its own write queue, the write
// queues of the upstream connections its streams are using, and the response bodies its
// HTTP/2 streams hold for the client's flow-control window. Past the limit, every buffer
// holding more than kFloor reports itself blocked, so its writer stops reading the other side;
// an HTTP/2 connection also stops opening its connection window, so the client cannot send
// more. A buffer under the floor is never blocked by the budget: each stream can always move
// some bytes, and a stream whose reader keeps up (a response the client reads, while another
// stream's upload waits on a slow backend) is not held up by the others.
//
// Whoever saw the budget exhausted and stopped waits for it: once the charges fall to half the
// limit, every waiter is called, on a later turn of the loop (never from inside the call that
// released the bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/event/dispatcher.h"

namespace gatehouse::dataplane::event {

class BufferBudget {
 public:
  // A buffer holding at most this much is never blocked by the budget.
  static constexpr size_t kFloor = 16 * 1024;

  // Someone waiting for room: `fn(arg)`.
  struct Waiter {
    void (*fn)(void*) = nullptr;
    void* arg = nullptr;
  };

  // `limit` 0: no limit. Loop thread only, like everything here.
  BufferBudget(Dispatcher& dispatcher, size_t limit);
  ~BufferBudget();
  BufferBudget(const BufferBudget&) = delete;
  BufferBudget& operator=(const BufferBudget&) = delete;

  void Charge(size_t bytes) { used_ += bytes; }
  // A buffer that was charged `charged` bytes now holds `held`: charges or releases the
  // difference.
  void Recharge(size_t charged, size_t held) {
    if (held > charged) {
      Charge(held - charged);
    } else if (held < charged) {
      Release(charged - held);
    }
  }
  // Releases bytes charged before; wakes the waiters (later) once at most half the limit is
  // used.
  void Release(size_t bytes);

  // True when a buffer holding `held` bytes must stop taking more.
  bool Blocks(size_t held) const { return held > kFloor && exhausted(); }
  bool exhausted() const { return limit_ != 0 && used_ >= limit_; }
  size_t used() const { return used_; }
  size_t limit() const { return limit_; }

  // `waiter` stopped because the budget is exhausted and is called once room is made. Each
  // waiter keeps its own flag and waits at most once until it is called or forgets.
  void Wait(Waiter waiter);
  // `arg` is going away: its waits are forgotten.
  void Forget(void* arg);

 private:
  void Wake();

  Dispatcher& dispatcher_;
  const size_t limit_;
  size_t used_ = 0;
  std::vector<Waiter> waiters_;
  std::vector<Waiter>* waking_ = nullptr;  // the waiters being called, during Wake
  bool wake_scheduled_ = false;
};

}  // namespace gatehouse::dataplane::event
