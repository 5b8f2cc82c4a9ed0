// The worker's table of kept auth answers: found until they expire, bounded in slots and in the
// size of each answer.
#include "dataplane/filters/auth_answer_cache.h"

#include <string>

#include "gtest/gtest.h"

namespace gatehouse::dataplane::filters {
namespace {

AuthAnswerCache::Answer AnswerOf(int status, const std::string& user = "alice") {
  AuthAnswerCache::Answer answer;
  answer.status = status;
  answer.headers.Add("x-auth-request-user", user);
  return answer;
}

TEST(AuthAnswerCacheTest, AnAnswerIsFoundUntilItExpires) {
  AuthAnswerCache cache;
  DigestKey key = DigestOf({"scope", "alice"});
  EXPECT_EQ(cache.Find(key, 0), nullptr);
  cache.Put(key, /*expires_ms=*/1000, AnswerOf(202));
  const AuthAnswerCache::Answer* found = cache.Find(key, 999);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->status, 202);
  EXPECT_EQ(*found->headers.Get("x-auth-request-user"), "alice");
  EXPECT_EQ(cache.Find(key, 1000), nullptr);
  EXPECT_EQ(cache.Find(DigestOf({"scope", "bob"}), 0), nullptr);
  // The pieces are length-prefixed: ("scope", "alice") is not ("scopea", "lice").
  EXPECT_EQ(cache.Find(DigestOf({"scopea", "lice"}), 0), nullptr);
}

TEST(AuthAnswerCacheTest, AnswersTooLargeToKeepAreNotKept) {
  AuthAnswerCache cache;
  DigestKey key = DigestOf({"big"});
  cache.Put(key, 1000, AnswerOf(200, std::string(AuthAnswerCache::kMaxAnswerBytes, 'x')));
  EXPECT_EQ(cache.Find(key, 0), nullptr);
}

TEST(AuthAnswerCacheTest, AnyNumberOfKeysFitsTheSameSlots) {
  // A million clients cost the slots and no more: each new key lands on a slot, replacing what
  // was there, and the newest keys are found.
  AuthAnswerCache cache;
  int found = 0;
  for (int i = 0; i < 100000; ++i) {
    DigestKey key = DigestOf({"scope", std::to_string(i)});
    cache.Put(key, 1000, AnswerOf(200));
    found += cache.Find(key, 0) != nullptr ? 1 : 0;
  }
  EXPECT_EQ(found, 100000);
  int kept = 0;
  for (int i = 0; i < 100000; ++i) {
    kept += cache.Find(DigestOf({"scope", std::to_string(i)}), 0) != nullptr ? 1 : 0;
  }
  EXPECT_LE(kept, static_cast<int>(AuthAnswerCache::kSlots));
  EXPECT_GT(kept, static_cast<int>(AuthAnswerCache::kSlots) / 2);
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
