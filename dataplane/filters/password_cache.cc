#include "dataplane/filters/password_cache.h"

#include <openssl/crypto.h>

#include <memory>

namespace gatehouse::dataplane::filters {

PasswordCache::Key PasswordCache::KeyOf(absl::string_view hash, absl::string_view user,
                                        absl::string_view password) {
  return DigestOf({hash, user, password});
}

bool PasswordCache::Contains(const Key& key, int64_t now_ms) const {
  const Slot& slot = slots_[filters::SlotOf(key, kSlots)];
  return slot.expires_ms > now_ms && CRYPTO_memcmp(slot.key.data(), key.data(), key.size()) == 0;
}

void PasswordCache::Put(const Key& key, int64_t now_ms) {
  Slot& slot = slots_[filters::SlotOf(key, kSlots)];
  slot.key = key;
  slot.expires_ms = now_ms + kLifetimeMs;
}

PasswordCache& PasswordCache::ForThisThread() {
  thread_local std::unique_ptr<PasswordCache> cache = std::make_unique<PasswordCache>();
  return *cache;
}

}  // namespace gatehouse::dataplane::filters
