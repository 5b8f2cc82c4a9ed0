// The forwarding headers. References: the X-Forwarded-* headers as ingress-nginx's nginx.tmpl
// sets them (X-Forwarded-For and X-Real-IP are $remote_addr, the client's address; with
// use-forwarded-headers and compute-full-forwarded-for, X-Forwarded-For is
// $full_x_forwarded_for, the incoming list with the peer appended; X-Forwarded-Host is
// $best_http_host, X-Forwarded-Port and -Proto $pass_port and $pass_access_scheme; X-Request-Id
// is kept or generated) and RFC 9562 for the request id's UUID version 4 layout.
#include "dataplane/filters/forwarding_headers.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config() {
  v1::Filter config;
  config.mutable_forwarding_headers();
  return config;
}

std::vector<std::string> Values(const http::HeaderMap& headers, absl::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers.entries()) {
    if (absl::EqualsIgnoreCase(key, name)) values.push_back(value);
  }
  return values;
}

TEST(ForwardingHeadersFilterTest, AddsTheProxysViewOfTheRequest) {
  FakeFilterCallbacks callbacks("https", "198.51.100.4", 8443);
  auto filter = MakeFilter(Config(), callbacks);
  http::RequestHead head = Request("GET", "a.test:8443", "/");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kContinue);
  EXPECT_EQ(Values(head.headers, "x-forwarded-for"), std::vector<std::string>{"198.51.100.4"});
  EXPECT_EQ(Values(head.headers, "x-real-ip"), std::vector<std::string>{"198.51.100.4"});
  EXPECT_EQ(Values(head.headers, "x-forwarded-proto"), std::vector<std::string>{"https"});
  EXPECT_EQ(Values(head.headers, "x-forwarded-host"), std::vector<std::string>{"a.test:8443"});
  EXPECT_EQ(Values(head.headers, "x-forwarded-port"), std::vector<std::string>{"8443"});
  std::vector<std::string> ids = Values(head.headers, "x-request-id");
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_TRUE(
      RE2::FullMatch(ids[0], "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))
      << ids[0];
  EXPECT_EQ(callbacks.request_id, ids[0]);
}

TEST(ForwardingHeadersFilterTest, ClientValuesAreReplaced) {
  FakeFilterCallbacks callbacks("http", "192.0.2.7", 80);
  auto filter = MakeFilter(Config(), callbacks);
  http::RequestHead head = Request("GET", "a.test", "/");
  head.headers.Add("X-Forwarded-Proto", "https");
  head.headers.Add("X-Forwarded-For", "10.0.0.1");
  head.headers.Add("x-forwarded-host", "evil.test");
  head.headers.Add("X-Forwarded-Port", "1");
  head.headers.Add("x-forwarded-for", "10.0.0.2, 10.0.0.3");
  head.headers.Add("X-Request-Id", "chosen-upstream-of-us");
  head.headers.Add("X-Real-IP", "10.9.9.9");
  head.headers.Add("Accept", "*/*");
  filter->OnRequestHeaders(head, true);
  // Not from a trusted proxy: what the client said of itself is gone.
  EXPECT_EQ(Values(head.headers, "x-forwarded-for"), std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(Values(head.headers, "x-real-ip"), std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(Values(head.headers, "x-forwarded-proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(Values(head.headers, "x-forwarded-host"), std::vector<std::string>{"a.test"});
  EXPECT_EQ(Values(head.headers, "x-forwarded-port"), std::vector<std::string>{"80"});
  EXPECT_EQ(Values(head.headers, "x-request-id"),
            std::vector<std::string>{"chosen-upstream-of-us"});
  EXPECT_EQ(callbacks.request_id, "chosen-upstream-of-us");
  EXPECT_EQ(Values(head.headers, "accept"), std::vector<std::string>{"*/*"});
}

TEST(ForwardingHeadersFilterTest, BehindTrustedProxiesTheirViewIsPassedOn) {
  for (bool full : {false, true}) {
    FakeFilterCallbacks callbacks("https", "203.0.113.9", 443);  // as ApplyForwardedHeaders left it
    filters::DownstreamInfo& downstream = callbacks.mutable_downstream();
    downstream.forwarded = true;
    downstream.full_forwarded_for = full;
    downstream.peer_ip = "10.0.0.3";
    auto filter = MakeFilter(Config(), callbacks);
    http::RequestHead head = Request("GET", "a.test", "/");
    head.headers.Add("X-Forwarded-For", "203.0.113.9");
    head.headers.Add("X-Forwarded-Host", "shop.example");
    head.headers.Add("x-forwarded-for", "10.0.0.2");
    head.headers.Add("X-Forwarded-Host", "second.example");
    head.headers.Add("X-Forwarded-Proto", "https");
    filter->OnRequestHeaders(head, true);
    // compute-full-forwarded-for: the list, in order, with the peer appended.
    EXPECT_EQ(Values(head.headers, "x-forwarded-for"),
              std::vector<std::string>{full ? "203.0.113.9, 10.0.0.2, 10.0.0.3" : "203.0.113.9"});
    EXPECT_EQ(Values(head.headers, "x-real-ip"), std::vector<std::string>{"203.0.113.9"});
    EXPECT_EQ(Values(head.headers, "x-forwarded-host"), std::vector<std::string>{"shop.example"});
    EXPECT_EQ(Values(head.headers, "x-forwarded-proto"), std::vector<std::string>{"https"});
    EXPECT_EQ(Values(head.headers, "x-forwarded-port"), std::vector<std::string>{"443"});
  }
}

TEST(ForwardingHeadersFilterTest, RequestIdsDiffer) {
  absl::InsecureBitGen random;
  EXPECT_NE(NewRequestId(random), NewRequestId(random));
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
