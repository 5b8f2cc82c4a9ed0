// The counts behind ingress-nginx's rate limits, per client address, shared by a data plane's
// workers (the limits are per replica, as ingress-nginx's are per controller pod).
//
// Memory is fixed: a set-associative table of kBuckets buckets of kWays entries, each entry a
// key (a hash of the zone and the client address) and its state. A new key takes its bucket's
// least recently used entry that holds no request in flight, so a flood of distinct addresses
// evicts old counts rather than growing the table. Each bucket has its own lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

namespace gatehouse::dataplane::filters {

class RateLimitTable {
 public:
  static constexpr size_t kBuckets = 8192;
  static constexpr size_t kWays = 8;

  // The tables every worker of this process shares: one for the rates, one for the requests in
  // flight (kept apart, so that keys with requests in flight never keep a rate from counting).
  static RateLimitTable& GlobalRates();
  static RateLimitTable& GlobalInFlight();

  RateLimitTable();

  // nginx's limit_req (a leaky bucket, in thousandths of a request): a key's excess drains at
  // `rate_milli` per second (at least 1), each request adds 1000, and a request that would take
  // the excess past `burst_milli` is refused. Returns 0 when the request passes, else how many
  // milliseconds until one would.
  enum class Mode {
    kTake,    // counts the request when it passes
    kCheck,   // records nothing (asked before the other rates have said yes)
    kRecord,  // counts the request whatever the burst (the other rates said yes meanwhile)
  };
  uint64_t Take(uint64_t key, uint64_t rate_milli, uint64_t burst_milli, int64_t now_ms,
                Mode mode = Mode::kTake);

  // nginx's limit_conn: requests in flight per key.
  enum class Slot {
    kTaken,      // counted: Release it when the request ends
    kRefused,    // `limit` are in flight already
    kUntracked,  // the bucket is full of keys with requests in flight: passed, not counted
  };
  Slot Acquire(uint64_t key, uint32_t limit, int64_t now_ms);
  void Release(uint64_t key);

 private:
  struct Entry {
    uint64_t key = 0;  // 0: free
    int64_t excess = 0;
    int64_t last_ms = 0;
    uint32_t in_flight = 0;
  };
  struct Bucket {
    std::mutex mutex;
    std::array<Entry, kWays> entries;
  };

  Bucket& BucketOf(uint64_t key) { return buckets_[key % kBuckets]; }
  // The key's entry, or a fresh one taking the least recently used free way; null when every
  // way holds requests in flight. The bucket's lock is held.
  static Entry* Find(Bucket& bucket, uint64_t key, bool create);

  std::unique_ptr<Bucket[]> buckets_;
};

}  // namespace gatehouse::dataplane::filters
