// The IP allow and deny lists. Reference: ingress-nginx's annotations documentation, "Whitelist
// source range" / allowlist-source-range ("a comma-separated list of IPs/CIDRs allowed to reach
// the location"; others get 403), and denylist-source-range (the listed clients get 403); its
// template puts the deny rules before the allow rules, so an address in both lists is refused.
#include "dataplane/filters/source_ranges.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                  bool refuse_all = false) {
  v1::Filter config;
  for (const std::string& range : allow) config.mutable_source_ranges()->add_allow(range);
  for (const std::string& range : deny) config.mutable_source_ranges()->add_deny(range);
  config.mutable_source_ranges()->set_refuse_all(refuse_all);
  return config;
}

TEST(SourceRangesFilterTest, AllowedAndDeniedClientsByTheirAddress) {
  struct Case {
    std::vector<std::string> allow;
    std::vector<std::string> deny;
    const char* client;
    bool served;
  };
  const Case cases[] = {
      {{"10.0.0.0/8"}, {}, "10.1.2.3", true},
      {{"10.0.0.0/8"}, {}, "11.0.0.1", false},
      {{"10.0.0.0/8", "192.168.0.1"}, {}, "192.168.0.1", true},
      {{"10.0.0.0/8", "192.168.0.1"}, {}, "192.168.0.2", false},
      {{"2001:db8::/32"}, {}, "2001:db8:1::9", true},
      {{"2001:db8::/32"}, {}, "2001:db9::1", false},
      // An IPv4 client on a dual-stack socket is matched as IPv4.
      {{"10.0.0.0/8"}, {}, "::ffff:10.0.0.1", true},
      {{"10.0.0.0/8"}, {}, "fe80::1", false},
      {{}, {"192.0.2.0/24"}, "192.0.2.7", false},
      {{}, {"192.0.2.0/24"}, "198.51.100.7", true},
      // Deny is checked first: in both lists, refused.
      {{"192.0.2.0/24"}, {"192.0.2.7"}, "192.0.2.7", false},
      {{"192.0.2.0/24"}, {"192.0.2.7"}, "192.0.2.8", true},
      {{}, {}, "192.0.2.7", true},
  };
  for (const Case& c : cases) {
    FakeFilterCallbacks callbacks("http", c.client);
    auto filter = MakeFilter(Config(c.allow, c.deny), callbacks);
    http::RequestHead head = Request("GET", "a.test", "/");
    FilterStatus status = filter->OnRequestHeaders(head, true);
    EXPECT_EQ(status == FilterStatus::kContinue, c.served) << c.client;
    if (!c.served) {
      ASSERT_TRUE(callbacks.local_reply.has_value());
      EXPECT_EQ(callbacks.local_reply->status, 403);
    } else {
      EXPECT_FALSE(callbacks.local_reply.has_value());
    }
  }
}

TEST(SourceRangesFilterTest, ListsThatCouldNotBeReadRefuseEveryone) {
  FakeFilterCallbacks callbacks("http", "10.0.0.1");
  auto filter = MakeFilter(Config({"10.0.0.0/8"}, {}, true), callbacks);
  http::RequestHead head = Request("GET", "a.test", "/");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 403);
}

TEST(SourceRangesFilterTest, WhatIsNotARangeIsRefusedAtCompile) {
  EXPECT_FALSE(CompileFilter(Config({"10.0.0.0/33"}, {})).ok());
  EXPECT_FALSE(CompileFilter(Config({}, {"not-an-address"})).ok());
  EXPECT_FALSE(CompileFilter(Config({"10.0.0.1,0.0.0.0/0"}, {})).ok());
  std::vector<std::string> many(SourceRangesFilter::kMaxRanges + 1, "10.0.0.1");
  EXPECT_FALSE(CompileFilter(Config(many, {})).ok());
  many.pop_back();
  EXPECT_TRUE(CompileFilter(Config(many, {})).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
