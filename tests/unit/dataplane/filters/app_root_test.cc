// The app-root filter. Reference: ingress-nginx's app-root annotation (docs: "App Root"; e2e:
// test/e2e/annotations/approot.go): a request for "/" gets 302 to the root path on the request's
// own scheme and host; every other path goes on.
#include "dataplane/filters/app_root.h"

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(const std::string& path) {
  v1::Filter config;
  config.mutable_app_root()->set_path(path);
  return config;
}

TEST(AppRootFilterTest, OnlyTheRootIsRedirected) {
  struct Case {
    const char* scheme;
    const char* target;
    const char* location;  // nullptr: the request goes on
  };
  const Case cases[] = {
      {"http", "/", "http://approot.bar.com:8080/foo"},
      {"https", "/?q=1", "https://approot.bar.com:8080/foo"},  // nginx's $uri is "/"
      {"http", "/foo", nullptr},
      {"http", "/other", nullptr},
      {"http", "//", nullptr},
  };
  for (const Case& c : cases) {
    FakeFilterCallbacks callbacks(c.scheme);
    auto filter = MakeFilter(Config("/foo"), callbacks);
    http::RequestHead head = Request("GET", "approot.bar.com:8080", c.target);
    FilterStatus status = filter->OnRequestHeaders(head, true);
    if (c.location == nullptr) {
      EXPECT_EQ(status, FilterStatus::kContinue) << c.target;
      EXPECT_FALSE(callbacks.local_reply.has_value()) << c.target;
      continue;
    }
    EXPECT_EQ(status, FilterStatus::kStop);
    ASSERT_TRUE(callbacks.local_reply.has_value());
    EXPECT_EQ(callbacks.local_reply->status, 302);
    ASSERT_NE(callbacks.local_reply->headers.Get("location"), nullptr);
    EXPECT_EQ(*callbacks.local_reply->headers.Get("location"), c.location) << c.target;
  }
}

TEST(AppRootFilterTest, APathThatIsNotAbsoluteIsRefusedAtCompile) {
  for (const char* path : {"foo", "//evil.test/x", "/a b", "/a\r\nX: 1", ""}) {
    EXPECT_FALSE(CompileFilter(Config(path)).ok()) << path;
  }
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
