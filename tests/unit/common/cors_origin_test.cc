// cors-allow-origin entries. Reference: ingress-nginx's annotations documentation ("Enable
// CORS": a comma-separated list of origins, "https://*.origin.com" admitting one subdomain
// level) and its e2e test annotations/cors.go, whose origin cases are restated here: the port
// must be the same (written out, or absent on both), a "*" stands for one label, dots are
// literal; and the Fetch standard's serialized origin, "scheme://host[:port]".
#include "common/cors_origin.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(CorsOriginTest, AnOriginMatchesItsEntryWholly) {
  struct Case {
    const char* entry;
    const char* origin;
    bool matches;
  };
  const Case cases[] = {
      {"https://origin.cors.com:8080", "https://origin.cors.com:8080", true},
      {"https://origin.cors.com:8080", "HTTPS://Origin.Cors.com:8080", true},
      {"http://origin.com:8080", "http://origin.com", false},
      {"http://origin.com", "http://origin.com:8080", false},
      {"https://foo.bar.com", "https://fooxbar.com", false},
      {"https://foo.bar.com", "http://foo.bar.com", false},
      {"https://foo.bar.com", "https://evil.foo.bar.com", false},
      {"https://foo.bar.com", "https://foo.bar.com.evil", false},
      {"http://*.origin.cors.com", "http://foo.origin.cors.com", true},
      {"http://*.origin.cors.com", "http://bar-foo.origin.cors.com", true},
      {"http://*.origin.cors.com", "http://bar.foo.origin.cors.com", false},
      {"http://*.origin.cors.com", "http://origin.cors.com", false},
      {"http://*.origin.cors.com", "http://.origin.cors.com", false},
      {"http://*.origin.com:8080", "http://abc.origin.com:8080", true},
      {"http://*.origin.com:8080", "http://abc.origin.com", false},
      {"tauri://localhost:3000", "tauri://localhost:3000", true},
      {"null", "null", true},
      {"null", "https://null", false},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CorsOrigin> origin = CorsOrigin::Parse(c.entry);
    ASSERT_TRUE(origin.ok()) << c.entry << ": " << origin.status();
    EXPECT_EQ(origin->Matches(c.origin), c.matches) << c.entry << " ~ " << c.origin;
  }
}

TEST(CorsOriginTest, WhatIsNotAnOriginIsRefused) {
  const char* bad[] = {
      "origin.cors.com:8080",  // no scheme: ingress-nginx skips it too
      "https://a.com/",        // a path
      "https://a.com/x",
      "HTTPS://a.com",         // the scheme is lower case
      "https://",              // no host
      "https://a.com:",        // an empty port
      "https://a.com:123456",  // six digits
      "https://a.com:80a",
      "https://*.*.a.com",
      "https://a b.com",
      "https://a.com\r\nX: 1",
      "*",  // the policy's own flag, not an entry
      "://a.com",
  };
  for (const char* entry : bad) EXPECT_FALSE(CorsOrigin::Parse(entry).ok()) << entry;
}

}  // namespace
}  // namespace gatehouse
