// The response header modifier: the same edits (request_header_modifier_test.cc has their
// order and checks), on upstream responses and local replies alike. Reference: Gateway API's
// ResponseHeaderModifier; our gatehouse.dev/response-headers.
#include "dataplane/filters/response_header_modifier.h"

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;

TEST(ResponseHeaderModifierFilterTest, EditsTheResponseHeaders) {
  v1::Filter config;
  v1::Header& frame = *config.mutable_response_header_modifier()->add_set();
  frame.set_name("X-Frame-Options");
  frame.set_value("DENY");
  config.mutable_response_header_modifier()->add_remove("Server");
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(config, callbacks);
  http::ResponseHead head;
  head.headers.Add("Server", "backend/1.0");
  head.headers.Add("x-frame-options", "SAMEORIGIN");
  filter->OnResponseHeaders(head, true);
  ASSERT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(head.headers.entries()[0].first, "X-Frame-Options");
  EXPECT_EQ(head.headers.entries()[0].second, "DENY");
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
