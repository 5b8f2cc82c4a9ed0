// The cache of credentials found right: exact (a digest of hash, user and password, with no
// two triples alike), bounded, and forgetful after its lifetime.
#include "dataplane/filters/password_cache.h"

#include "gtest/gtest.h"

namespace gatehouse::dataplane::filters {
namespace {

TEST(PasswordCacheTest, OnlyTheSameHashUserAndPasswordAreFound) {
  PasswordCache cache;
  PasswordCache::Key key = PasswordCache::KeyOf("$apr1$x$y", "alice", "pw");
  cache.Put(key, 1000);
  EXPECT_TRUE(cache.Contains(key, 1001));
  EXPECT_FALSE(cache.Contains(PasswordCache::KeyOf("$apr1$x$y", "alice", "pW"), 1001));
  EXPECT_FALSE(cache.Contains(PasswordCache::KeyOf("$apr1$x$z", "alice", "pw"), 1001));
  // The pieces are delimited by their lengths: shifting a byte across makes another key.
  EXPECT_NE(PasswordCache::KeyOf("h", "al", "ice"), PasswordCache::KeyOf("h", "ali", "ce"));
  EXPECT_FALSE(cache.Contains(key, 1000 + PasswordCache::kLifetimeMs));
}

TEST(PasswordCacheTest, ItsSizeIsFixedWhateverIsPut) {
  PasswordCache cache;
  for (int i = 0; i < 100000; ++i) {
    cache.Put(PasswordCache::KeyOf("h", std::to_string(i), "pw"), 0);
  }
  int kept = 0;
  for (int i = 0; i < 100000; ++i) {
    kept += cache.Contains(PasswordCache::KeyOf("h", std::to_string(i), "pw"), 1) ? 1 : 0;
  }
  EXPECT_LE(kept, PasswordCache::kSlots);
  EXPECT_GT(kept, PasswordCache::kSlots / 2);
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
