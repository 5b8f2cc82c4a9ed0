// The data plane's limit on open client connections, shared by every worker.
#pragma once

#include <atomic>
#include <cstdint>

namespace gatehouse::dataplane::proxy {

class ConnectionLimit {
 public:
  explicit ConnectionLimit(int64_t max) : max_(max) {}

  // Takes a slot for a new connection; false when all `max` are taken. Thread-safe.
  bool TryAcquire() {
    if (open_.fetch_add(1, std::memory_order_relaxed) < max_) return true;
    open_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  // Gives back the slot of a connection that closed. Thread-safe.
  void Release() { open_.fetch_sub(1, std::memory_order_relaxed); }

  int64_t max() const { return max_; }

 private:
  const int64_t max_;
  std::atomic<int64_t> open_{0};
};

}  // namespace gatehouse::dataplane::proxy
