#include "dataplane/filters/auth_answer_cache.h"

#include <openssl/crypto.h>

namespace gatehouse::dataplane::filters {

const AuthAnswerCache::Answer* AuthAnswerCache::Find(const DigestKey& key, int64_t now_ms) const {
  const Slot& slot = slots_[SlotOf(key, kSlots)];
  if (slot.expires_ms <= now_ms || CRYPTO_memcmp(slot.key.data(), key.data(), key.size()) != 0) {
    return nullptr;
  }
  return &slot.answer;
}

void AuthAnswerCache::Put(const DigestKey& key, int64_t expires_ms, Answer answer) {
  size_t bytes = 0;
  for (const http::HeaderMap::Entry& entry : answer.headers.entries()) {
    bytes += entry.first.size() + entry.second.size();
  }
  if (bytes > kMaxAnswerBytes) return;
  Slot& slot = slots_[SlotOf(key, kSlots)];
  slot.key = key;
  slot.expires_ms = expires_ms;
  slot.answer = std::move(answer);
}

AuthAnswerCache& AuthAnswerCache::ForThisThread() {
  thread_local std::unique_ptr<AuthAnswerCache> cache = std::make_unique<AuthAnswerCache>();
  return *cache;
}

}  // namespace gatehouse::dataplane::filters
