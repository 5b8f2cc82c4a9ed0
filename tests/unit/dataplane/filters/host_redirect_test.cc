// The host redirect filter. Reference: ingress-nginx's from-to-www-redirect annotation (docs:
// "Redirect from/to www"; e2e: test/e2e/annotations/fromtowwwredirect.go): the other host
// answers 308 to the same scheme, path and query on the Ingress's host.
#include "dataplane/filters/host_redirect.h"

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(const std::string& host, uint32_t code = 308) {
  v1::Filter config;
  config.mutable_host_redirect()->set_host(host);
  config.mutable_host_redirect()->set_code(code);
  return config;
}

TEST(HostRedirectFilterTest, KeepsSchemePortPathAndQuery) {
  struct Case {
    const char* scheme;
    const char* authority;
    const char* target;
    const char* location;
  };
  const Case cases[] = {
      {"http", "www.fromtowwwredirect.bar.com", "/foo", "http://fromtowwwredirect.bar.com/foo"},
      {"https", "www.fromtowwwredirect.bar.com:8443", "/a?b=c",
       "https://fromtowwwredirect.bar.com:8443/a?b=c"},
  };
  for (const Case& c : cases) {
    FakeFilterCallbacks callbacks(c.scheme);
    auto filter = MakeFilter(Config("fromtowwwredirect.bar.com"), callbacks);
    http::RequestHead head = Request("GET", c.authority, c.target);
    EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
    ASSERT_TRUE(callbacks.local_reply.has_value());
    EXPECT_EQ(callbacks.local_reply->status, 308);
    ASSERT_NE(callbacks.local_reply->headers.Get("location"), nullptr);
    EXPECT_EQ(*callbacks.local_reply->headers.Get("location"), c.location);
  }
}

TEST(HostRedirectFilterTest, BadHostsAndCodesAreRefusedAtCompile) {
  EXPECT_FALSE(CompileFilter(Config("a.test\r\nX: 1")).ok());
  EXPECT_FALSE(CompileFilter(Config("a.test/path")).ok());
  EXPECT_FALSE(CompileFilter(Config("")).ok());
  EXPECT_FALSE(CompileFilter(Config("a.test", 200)).ok());
  EXPECT_TRUE(CompileFilter(Config("a.test")).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
