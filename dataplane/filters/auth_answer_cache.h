// The external auth answers a worker keeps (ingress-nginx's auth-cache-key and
// auth-cache-duration): by the digest of the route's scope and the request's key, the status
// and the few headers the filter uses, until they expire.
//
// Memory is bounded whatever the clients send: a fixed number of slots, each holding one answer
// until a newer one lands there or it expires, and an answer with more than kMaxAnswerBytes of
// headers is not kept. One per worker thread, made on its first use; loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/filters/digest_key.h"
#include "dataplane/http/headers.h"

namespace gatehouse::dataplane::filters {

class AuthAnswerCache {
 public:
  static constexpr size_t kSlots = 2048;
  static constexpr size_t kMaxAnswerBytes = 2048;

  struct Answer {
    int status = 0;
    http::HeaderMap headers;
  };

  AuthAnswerCache() : slots_(kSlots) {}

  // The answer kept under `key` and not expired at `now_ms`, or null. Valid until the next Put.
  const Answer* Find(const DigestKey& key, int64_t now_ms) const;
  // Keeps `answer` under `key` until `expires_ms`, unless its headers are too large to.
  void Put(const DigestKey& key, int64_t expires_ms, Answer answer);

  // This thread's cache.
  static AuthAnswerCache& ForThisThread();

 private:
  struct Slot {
    DigestKey key{};
    int64_t expires_ms = 0;  // 0: empty
    Answer answer;
  };
  std::vector<Slot> slots_;
};

}  // namespace gatehouse::dataplane::filters
