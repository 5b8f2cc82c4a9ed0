// The passwords a worker recently found right, so a client sending the same credentials again
// costs a SHA-256 rather than another bcrypt: basic auth checks at most one hash per request.
//
// Entries are digests of (stored hash, user, password): a password never stays in memory, and a
// changed hash (a new password in the Secret) no longer finds the old entry. The table has a
// fixed number of slots, each holding one entry until a newer one lands there or it expires, so
// any number of clients costs the same memory. One per worker thread; loop thread only.
#pragma once

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "dataplane/filters/digest_key.h"

namespace gatehouse::dataplane::filters {

class PasswordCache {
 public:
  using Key = DigestKey;
  static constexpr int kSlots = 1024;
  static constexpr int64_t kLifetimeMs = 5 * 60 * 1000;

  static Key KeyOf(absl::string_view hash, absl::string_view user, absl::string_view password);

  // Whether `key` was put within kLifetimeMs of `now_ms`.
  bool Contains(const Key& key, int64_t now_ms) const;
  void Put(const Key& key, int64_t now_ms);

  // This thread's cache.
  static PasswordCache& ForThisThread();

 private:
  struct Slot {
    Key key{};
    int64_t expires_ms = 0;  // 0: empty
  };

  std::array<Slot, kSlots> slots_;
};

}  // namespace gatehouse::dataplane::filters
