// The HTTPS redirect filter. Reference: ingress-nginx's ssl-redirect annotation (docs:
// user-guide/nginx-configuration/annotations, "Server-side HTTPS enforcement through redirect"):
// with a certificate for the host, plain HTTP is redirected to HTTPS with 308 Permanent
// Redirect, which keeps method and body; its redirect goes to HTTPS's default port.
#include "dataplane/filters/https_redirect.h"

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config() {
  v1::Filter config;
  config.mutable_https_redirect();
  return config;
}

struct Case {
  const char* scheme;
  const char* authority;
  const char* target;
  const char* location;  // nullptr: the request goes on
};

TEST(HttpsRedirectFilterTest, RedirectsPlainHttpOnly) {
  const Case cases[] = {
      {"http", "a.test", "/", "https://a.test/"},
      {"http", "a.test", "/x/y?q=1&r=2", "https://a.test/x/y?q=1&r=2"},
      // The client's port is dropped: HTTPS is on its default port.
      {"http", "a.test:8080", "/p", "https://a.test/p"},
      {"http", "[2001:db8::1]:8080", "/p", "https://[2001:db8::1]/p"},
      {"http", "[2001:db8::1]", "/p", "https://[2001:db8::1]/p"},
      // ACME HTTP-01 challenges are answered over plain HTTP.
      {"http", "a.test", "/.well-known/acme-challenge/token", nullptr},
      {"http", "a.test", "/.well-known/acme-challenge",
       "https://a.test/.well-known/acme-challenge"},
      {"https", "a.test", "/", nullptr},
  };
  for (const Case& c : cases) {
    FakeFilterCallbacks callbacks(c.scheme);
    auto filter = MakeFilter(Config(), callbacks);
    http::RequestHead head = Request("POST", c.authority, c.target);
    FilterStatus status = filter->OnRequestHeaders(head, false);
    if (c.location == nullptr) {
      EXPECT_EQ(status, FilterStatus::kContinue) << c.scheme << " " << c.target;
      EXPECT_FALSE(callbacks.local_reply.has_value()) << c.target;
      continue;
    }
    EXPECT_EQ(status, FilterStatus::kStop) << c.target;
    ASSERT_TRUE(callbacks.local_reply.has_value()) << c.target;
    EXPECT_EQ(callbacks.local_reply->status, 308);
    const std::string* location = callbacks.local_reply->headers.Get("location");
    ASSERT_NE(location, nullptr);
    EXPECT_EQ(*location, c.location);
  }
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
