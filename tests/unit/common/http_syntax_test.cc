// RFC 9110's grammar for what reaches the wire: tokens (section 5.6.2) and field values
// (section 5.5).
#include "common/http_syntax.h"

#include <string>

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(HttpSyntaxTest, TokensAreTcharsOnly) {
  for (absl::string_view good : {"x-forwarded-for", "Set-Cookie", "!#$%&'*+-.^_`|~09azAZ"}) {
    EXPECT_TRUE(IsToken(good)) << good;
  }
  for (absl::string_view bad : {"", "a b", "a:b", "a\r\nb", "(x)", "a\"b", "a/b", "é"}) {
    EXPECT_FALSE(IsToken(bad)) << bad;
  }
  EXPECT_FALSE(IsToken(absl::string_view("a\0b", 3)));
}

TEST(HttpSyntaxTest, AWritableFieldHasATokenNameAndNoLineBreakOrNul) {
  EXPECT_TRUE(IsWritableField("X-A", "any text, \"quoted\"; \t and obs-text \xe9"));
  EXPECT_TRUE(IsWritableField("X-A", ""));
  EXPECT_FALSE(IsWritableField("X-A", "a\r\nSet-Cookie: evil=1"));
  EXPECT_FALSE(IsWritableField("X-A", "a\rb"));
  EXPECT_FALSE(IsWritableField("X-A", "a\nb"));
  EXPECT_FALSE(IsWritableField("X-A", absl::string_view("a\0b", 3)));
  EXPECT_FALSE(IsWritableField("X A", "a"));
  EXPECT_FALSE(IsWritableField("X-A\r\nX-B", "a"));
  EXPECT_FALSE(IsWritableField("", "a"));
}

TEST(HttpSyntaxTest, FieldValuesASenderWritesHaveNoControlsOrEdgeWhitespace) {
  EXPECT_TRUE(IsFieldValue("max-age=31536000; includeSubDomains"));
  EXPECT_TRUE(IsFieldValue(""));
  EXPECT_FALSE(IsFieldValue(" leading"));
  EXPECT_FALSE(IsFieldValue("trailing\t"));
  EXPECT_FALSE(IsFieldValue("a\x7f"));
  EXPECT_FALSE(IsFieldValue("a\x01"));
}

TEST(HttpSyntaxTest, AbsoluteHttpUrlsForLocations) {
  EXPECT_TRUE(IsAbsoluteHttpUrl("https://help.example/cert?from=x"));
  EXPECT_TRUE(IsAbsoluteHttpUrl("http://10.0.0.1:8080"));
  EXPECT_FALSE(IsAbsoluteHttpUrl("/relative"));
  EXPECT_FALSE(IsAbsoluteHttpUrl("ftp://files.example/"));
  EXPECT_FALSE(IsAbsoluteHttpUrl("https://"));
  EXPECT_FALSE(IsAbsoluteHttpUrl("https:///path"));
  EXPECT_FALSE(IsAbsoluteHttpUrl("https://a b/"));
  EXPECT_FALSE(IsAbsoluteHttpUrl("https://a/\r\nSet-Cookie: x=1"));
  EXPECT_FALSE(IsAbsoluteHttpUrl("https://a/\x7f"));
}

}  // namespace
}  // namespace gatehouse
