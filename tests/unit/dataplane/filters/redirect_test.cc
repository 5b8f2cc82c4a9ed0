// The redirect filter. Reference: ingress-nginx's permanent-redirect and temporal-redirect
// annotations (docs: user-guide/nginx-configuration/annotations, "Permanent Redirect",
// "Temporal Redirect"; e2e: test/e2e/annotations/redirect.go): every request of the location is
// answered with the code and Location set to the URL, nothing goes upstream; the URL is nginx's
// `return CODE URL`, so the request variables it names are expanded.
#include "dataplane/filters/redirect.h"

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(const std::string& location, uint32_t code) {
  v1::Filter config;
  config.mutable_redirect()->set_location(location);
  config.mutable_redirect()->set_code(code);
  return config;
}

TEST(RedirectFilterTest, AnswersEveryRequestWithTheUrlAndItsVariables) {
  struct Case {
    const char* location;
    const char* authority;
    const char* target;
    const char* expected;
  };
  const Case cases[] = {
      // The URL as it is: the e2e test's "http://redirect.example.com" for any path.
      {"http://redirect.example.com", "redirect", "/something", "http://redirect.example.com"},
      {"https://new.test$request_uri", "old.test", "/a/b?x=1&y=2", "https://new.test/a/b?x=1&y=2"},
      {"https://new.test$uri", "old.test", "/a/b?x=1", "https://new.test/a/b"},
      {"https://new.test/search?$args", "old.test", "/s?q=1", "https://new.test/search?q=1"},
      {"https://new.test/search?$args", "old.test", "/s", "https://new.test/search?"},
      {"$scheme://$host/moved$request_uri", "Old.Test:8080", "/p", "http://old.test/moved/p"},
      // An absolute-form target counts by its path and query.
      {"https://new.test$request_uri", "old.test", "http://old.test/p?q", "https://new.test/p?q"},
  };
  for (const Case& c : cases) {
    FakeFilterCallbacks callbacks("http");
    auto filter = MakeFilter(Config(c.location, 302), callbacks);
    http::RequestHead head = Request("POST", c.authority, c.target);
    EXPECT_EQ(filter->OnRequestHeaders(head, false), FilterStatus::kStop) << c.location;
    ASSERT_TRUE(callbacks.local_reply.has_value());
    EXPECT_EQ(callbacks.local_reply->status, 302);
    const std::string* location = callbacks.local_reply->headers.Get("location");
    ASSERT_NE(location, nullptr);
    EXPECT_EQ(*location, c.expected) << c.location;
  }
}

TEST(RedirectFilterTest, CodesAndLocationsThatCannotBeSentAreRefusedAtCompile) {
  const std::pair<std::string, uint32_t> bad[] = {
      {"https://a.test", 299},
      {"https://a.test", 309},
      {"https://a.test\r\nX-Evil: 1", 301},
      {std::string("https://a.test/\0x", 17), 301},
      {"https://a.test$remote_addr", 301},  // not one of the variables offered
      {"https://a.test/$uri_x", 301},       // a name runs as long as nginx reads it
  };
  for (const auto& [location, code] : bad) {
    EXPECT_FALSE(CompileFilter(Config(location, code)).ok()) << location << " " << code;
  }
  EXPECT_TRUE(CompileFilter(Config("https://a.test$request_uri", 308)).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
