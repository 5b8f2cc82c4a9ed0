// The upstream host filter. Reference: ingress-nginx's upstream-vhost annotation (docs: "Custom
// Upstream vhost"): the Host sent upstream is the configured one.
#include "dataplane/filters/upstream_host.h"

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(const std::string& host) {
  v1::Filter config;
  config.mutable_upstream_host()->set_host(host);
  return config;
}

TEST(UpstreamHostFilterTest, TheUpstreamGetsTheConfiguredHost) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config("backend.internal:8080"), callbacks);
  http::RequestHead head = Request("GET", "public.test", "/");
  head.headers.Add("host", "public.test");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kContinue);
  EXPECT_EQ(head.authority, "backend.internal:8080");
  ASSERT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(*head.headers.Get("Host"), "backend.internal:8080");
}

TEST(UpstreamHostFilterTest, AnythingButNameOrNameAndPortIsRefusedAtCompile) {
  for (const char* bad :
       {"", "a.test\r\nX: 1", "a.test:0", "a.test:99999", "a test", "a/b", "a.test:"}) {
    EXPECT_FALSE(CompileFilter(Config(bad)).ok()) << bad;
  }
  EXPECT_TRUE(CompileFilter(Config("a.test")).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
