// The request body limit. Reference: ingress-nginx's proxy-body-size annotation (nginx's
// client_max_body_size): a request whose body is larger gets 413 Request Entity Too Large.
#include "dataplane/filters/request_body_limit.h"

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(uint64_t max_bytes) {
  v1::Filter config;
  config.mutable_request_body_limit()->set_max_bytes(max_bytes);
  return config;
}

TEST(RequestBodyLimitFilterTest, ContentLengthOverTheLimitIsRefusedFromTheHead) {
  for (uint64_t length : {10, 11}) {
    FakeFilterCallbacks callbacks;
    auto filter = MakeFilter(Config(10), callbacks);
    http::RequestHead head = Request("POST", "a.test", "/");
    head.framing = http::BodyFraming::kContentLength;
    head.content_length = length;
    FilterStatus status = filter->OnRequestHeaders(head, false);
    if (length <= 10) {
      EXPECT_EQ(status, FilterStatus::kContinue);
      EXPECT_FALSE(callbacks.local_reply.has_value());
    } else {
      EXPECT_EQ(status, FilterStatus::kStop);
      ASSERT_TRUE(callbacks.local_reply.has_value());
      EXPECT_EQ(callbacks.local_reply->status, 413);
    }
  }
}

TEST(RequestBodyLimitFilterTest, ChunkedBodyIsCountedAsItArrives) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config(10), callbacks);
  http::RequestHead head = Request("POST", "a.test", "/");
  head.framing = http::BodyFraming::kChunked;
  EXPECT_EQ(filter->OnRequestHeaders(head, false), FilterStatus::kContinue);
  EXPECT_EQ(filter->OnRequestData("123456", false), FilterStatus::kContinue);
  EXPECT_EQ(filter->OnRequestData("7890", false), FilterStatus::kContinue);  // exactly 10
  EXPECT_FALSE(callbacks.local_reply.has_value());
  EXPECT_EQ(filter->OnRequestData("x", false), FilterStatus::kStop);
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 413);
}

TEST(RequestBodyLimitFilterTest, TunnelBytesAreNotABody) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config(4), callbacks);
  http::RequestHead head = Request("GET", "a.test", "/ws");
  EXPECT_EQ(filter->OnRequestHeaders(head, false), FilterStatus::kContinue);
  http::ResponseHead switched;
  switched.status = 101;
  filter->OnResponseHeaders(switched, false);
  EXPECT_EQ(filter->OnRequestData("many more than four bytes", false), FilterStatus::kContinue);
  EXPECT_FALSE(callbacks.local_reply.has_value());
}

TEST(RequestBodyLimitFilterTest, ZeroIsNotALimit) { EXPECT_FALSE(CompileFilter(Config(0)).ok()); }

}  // namespace
}  // namespace gatehouse::dataplane::filters
