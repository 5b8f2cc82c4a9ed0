// The monotonic clock in milliseconds, for deadlines and ages kept as plain integers.
#pragma once

#include <chrono>
#include <cstdint>

namespace gatehouse::dataplane::event {

inline int64_t MonotonicNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace gatehouse::dataplane::event
