// htpasswd's hashes. Reference: Apache's htpasswd manual (bcrypt with -B, MD5 "$apr1$" by
// default, SHA-1 "{SHA}" with -s, crypt() with -d, plain text with -p, SHA-256 and SHA-512
// crypt with -2 and -5), and ingress-nginx's basic-auth documentation (auth-secret with an
// "auth" key of htpasswd lines, or auth-map). The expected hashes were made with `openssl
// passwd -apr1 / -1 / -5 / -6`, Python's crypt module (libxcrypt's bcrypt) and `openssl dgst
// -sha1 | base64`.
#include "common/htpasswd.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(HtpasswdTest, EveryHashHtpasswdMakesIsChecked) {
  struct Case {
    const char* hash;
    const char* password;
  };
  const Case cases[] = {
      {"$apr1$Xy9sQ3ab$staTRWA/PZZOAPU1NcraH.", "s3cret pass"},
      {"$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0", ""},
      {"$1$saltsalt$ZliGyAN3DciDHEkDboonh/", "hunter2"},
      {"$5$saltsaltsalt$g1jS0B6yOBBZqrJEhPEM5XNnoxWIh2QfY2N0iDi9s73", "hunter2"},
      {"$6$saltsaltsalt$/YcSJBZ1GwOaYU2XCNxvWBX3MbYsX7qkf0.0L28t35vap3Pr7yS0JA8iUjaUrIKpD1vbB841OQ"
       "krlcX47Jjuy/",
       "hunter2"},
      {"$2b$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.", "hunter2"},
      {"$2y$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.", "hunter2"},
      {"{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "hunter2"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(CheckPasswordHash(c.hash).ok()) << c.hash;
    EXPECT_TRUE(VerifyPassword(c.hash, c.password)) << c.hash;
    EXPECT_FALSE(VerifyPassword(c.hash, std::string(c.password) + "x")) << c.hash;
    EXPECT_FALSE(VerifyPassword(c.hash, "Hunter2")) << c.hash;
  }
}

TEST(HtpasswdTest, HashesThatCannotBeCheckedOrCostTooMuchAreRefused) {
  const char* refused[] = {
      "abJnggxhB/yWI",  // crypt(3) DES
      "hunter2",        // plain text
      "",
      "{SHA}short",
      "$apr1$toolongsalt$staTRWA/PZZOAPU1NcraH.",
      "$2y$13$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.",  // cost 13
      "$2y$31$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.",
      "$2y$05$short",
      "$6$rounds=999999999$salt$x",
  };
  for (const char* hash : refused) {
    EXPECT_FALSE(CheckPasswordHash(hash).ok()) << hash;
    EXPECT_FALSE(VerifyPassword(hash, "hunter2")) << hash;
  }
  EXPECT_FALSE(VerifyPassword("hunter2", "hunter2"));  // plain text never matches
}

TEST(HtpasswdTest, AFileIsUsersAndHashesWithBadLinesLeftOut) {
  Htpasswd::Parsed parsed = Htpasswd::ParseFile(
      "# made by htpasswd\n"
      "foo:$apr1$Xy9sQ3ab$staTRWA/PZZOAPU1NcraH.\n"
      "\n"
      "bar:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=\r\n"
      "old:abJnggxhB/yWI\n"
      "nocolon\n");
  EXPECT_EQ(parsed.file.size(), 2u);
  EXPECT_TRUE(parsed.file.Verify("foo", "s3cret pass"));
  EXPECT_TRUE(parsed.file.Verify("bar", "hunter2"));
  EXPECT_FALSE(parsed.file.Verify("bar", "s3cret pass"));
  EXPECT_FALSE(parsed.file.Verify("old", "anything"));
  EXPECT_FALSE(parsed.file.Verify("nobody", "hunter2"));
  ASSERT_EQ(parsed.errors.size(), 2u);
  EXPECT_EQ(parsed.errors[0].rfind("line 5: a crypt(3) DES hash", 0), 0u) << parsed.errors[0];
  EXPECT_EQ(parsed.errors[1], "line 6: not user:hash");

  Htpasswd::Parsed map = Htpasswd::FromMap({{"foo", "$1$saltsalt$ZliGyAN3DciDHEkDboonh/"}});
  EXPECT_TRUE(map.errors.empty());
  EXPECT_TRUE(map.file.Verify("foo", "hunter2"));
}

// nginx reads the file top down and takes a user's first line.
TEST(HtpasswdTest, AUsersFirstLineCounts) {
  Htpasswd::Parsed parsed = Htpasswd::ParseFile(
      "foo:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=\n"
      "foo:$apr1$Xy9sQ3ab$staTRWA/PZZOAPU1NcraH.\n");
  EXPECT_TRUE(parsed.file.Verify("foo", "hunter2"));
  EXPECT_FALSE(parsed.file.Verify("foo", "s3cret pass"));
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0], "line 2: user \"foo\" again; the first line counts");
}

}  // namespace
}  // namespace gatehouse
