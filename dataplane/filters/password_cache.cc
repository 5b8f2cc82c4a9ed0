#include "dataplane/filters/password_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>

namespace gatehouse::dataplane::filters {

PasswordCache::Key PasswordCache::KeyOf(absl::string_view hash, absl::string_view user,
                                        absl::string_view password) {
  Key key{};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  // Each piece with its length first: no two triples digest the same bytes.
  for (absl::string_view piece : {hash, user, password}) {
    uint64_t size = piece.size();
    EVP_DigestUpdate(ctx.get(), &size, sizeof(size));
    EVP_DigestUpdate(ctx.get(), piece.data(), piece.size());
  }
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), key.data(), &size);
  return key;
}

size_t PasswordCache::SlotOf(const Key& key) {
  uint64_t bits = 0;
  std::memcpy(&bits, key.data(), sizeof(bits));
  return bits % kSlots;
}

bool PasswordCache::Contains(const Key& key, int64_t now_ms) const {
  const Slot& slot = slots_[SlotOf(key)];
  return slot.expires_ms > now_ms && CRYPTO_memcmp(slot.key.data(), key.data(), key.size()) == 0;
}

void PasswordCache::Put(const Key& key, int64_t now_ms) {
  Slot& slot = slots_[SlotOf(key)];
  slot.key = key;
  slot.expires_ms = now_ms + kLifetimeMs;
}

PasswordCache& PasswordCache::ForThisThread() {
  thread_local std::unique_ptr<PasswordCache> cache = std::make_unique<PasswordCache>();
  return *cache;
}

}  // namespace gatehouse::dataplane::filters
