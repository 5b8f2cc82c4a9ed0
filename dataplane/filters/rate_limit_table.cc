#include "dataplane/filters/rate_limit_table.h"

#include <algorithm>

namespace gatehouse::dataplane::filters {

RateLimitTable& RateLimitTable::GlobalRates() {
  static RateLimitTable* const table = new RateLimitTable();
  return *table;
}

RateLimitTable& RateLimitTable::GlobalInFlight() {
  static RateLimitTable* const table = new RateLimitTable();
  return *table;
}

RateLimitTable::RateLimitTable() : buckets_(new Bucket[kBuckets]) {}

RateLimitTable::Entry* RateLimitTable::Find(Bucket& bucket, uint64_t key, bool create) {
  Entry* victim = nullptr;
  for (Entry& entry : bucket.entries) {
    if (entry.key == key) return &entry;
    if (!create || entry.in_flight > 0) continue;
    if (victim == nullptr || entry.key == 0 ||
        (victim->key != 0 && entry.last_ms < victim->last_ms)) {
      victim = &entry;
    }
  }
  if (victim != nullptr) *victim = Entry{key, 0, 0, 0};
  return victim;
}

uint64_t RateLimitTable::Take(uint64_t key, uint64_t rate_milli, uint64_t burst_milli,
                              int64_t now_ms, Mode mode) {
  if (key == 0) key = 1;  // 0 marks a free entry
  rate_milli = std::max<uint64_t>(1, rate_milli);
  Bucket& bucket = BucketOf(key);
  std::lock_guard<std::mutex> lock(bucket.mutex);
  Entry* entry = Find(bucket, key, mode != Mode::kCheck);
  // A key's first request starts from nothing, as nginx's: from idle, burst + 1 requests pass.
  int64_t excess = 0;
  int64_t elapsed = 0;
  if (entry != nullptr && entry->last_ms != 0) {
    elapsed = std::max<int64_t>(0, now_ms - entry->last_ms);
    // Long enough to drain the excess and this request's share: no product that could overflow.
    const int64_t rate = static_cast<int64_t>(rate_milli);
    const int64_t drains_all = (entry->excess + 1000) * 1000 / rate + 1;
    excess = elapsed >= drains_all
                 ? 0
                 : std::max<int64_t>(0, entry->excess - rate * elapsed / 1000 + 1000);
  }
  if (mode != Mode::kRecord && static_cast<uint64_t>(excess) > burst_milli) {
    // Refused, and not counted: the wait until the excess has drained to the burst.
    uint64_t over = static_cast<uint64_t>(excess) - burst_milli;
    return std::max<uint64_t>(1, (over * 1000 + rate_milli - 1) / rate_milli);
  }
  if (mode != Mode::kCheck && entry != nullptr) {
    entry->excess = excess;
    // As nginx: the time moves on only when some did pass, so fractions of a drain add up.
    if (elapsed > 0 || entry->last_ms == 0) entry->last_ms = now_ms;
  }
  return 0;
}

RateLimitTable::Slot RateLimitTable::Acquire(uint64_t key, uint32_t limit, int64_t now_ms) {
  if (key == 0) key = 1;
  Bucket& bucket = BucketOf(key);
  std::lock_guard<std::mutex> lock(bucket.mutex);
  Entry* entry = Find(bucket, key, true);
  if (entry == nullptr) return Slot::kUntracked;
  if (entry->in_flight >= limit) return Slot::kRefused;
  ++entry->in_flight;
  entry->last_ms = now_ms;
  return Slot::kTaken;
}

void RateLimitTable::Release(uint64_t key) {
  if (key == 0) key = 1;
  Bucket& bucket = BucketOf(key);
  std::lock_guard<std::mutex> lock(bucket.mutex);
  Entry* entry = Find(bucket, key, false);
  if (entry != nullptr && entry->in_flight > 0) --entry->in_flight;
}

}  // namespace gatehouse::dataplane::filters
