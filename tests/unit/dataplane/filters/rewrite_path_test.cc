// The rewrite filter. Reference: ingress-nginx's rewrite-target documentation (the path regex's
// groups, $1 to $9, make the path sent upstream; the query goes on after it). Here: where the
// rewrite runs. A path whose match could cost the loop more than kMaxLoopRegexWork is rewritten
// on the blocking pool, and the request held until then.
#include "dataplane/filters/rewrite_path.h"

#include <string>

#include "common/path_regex.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(const char* regex, const char* replacement) {
  v1::Filter config;
  config.mutable_rewrite_path()->set_regex(regex);
  config.mutable_rewrite_path()->set_replacement(replacement);
  return config;
}

// Some 50 RE2 instructions: a path of 8,000 bytes could cost more than the loop's budget.
constexpr const char* kRegex = "/(api|app|admin)/v[0-9]+/(users|orders|items)(/|$)(.*)";
constexpr const char* kReplacement = "/$4";

TEST(RewritePathFilterTest, AShortPathIsRewrittenOnTheLoop) {
  FakeFilterCallbacks callbacks;
  auto made = MakeFilter(Config(kRegex, kReplacement), callbacks);
  http::RequestHead head = Request("GET", "a.test", "/api/v1/items/17?x=1");
  EXPECT_EQ(made.filter->OnRequestHeaders(head, true), FilterStatus::kContinue);
  EXPECT_EQ(head.target, "/17?x=1");
  EXPECT_TRUE(callbacks.held_work.empty());
}

TEST(RewritePathFilterTest, ALongPathIsRewrittenOffTheLoop) {
  FakeFilterCallbacks callbacks;
  auto made = MakeFilter(Config(kRegex, kReplacement), callbacks);
  std::string tail(8000, 'a');
  http::RequestHead head = Request("GET", "a.test", "/api/v1/items/" + tail + "?x=1");
  ASSERT_GT(RegexWork(*CompilePathRegex(kRegex).value(), head.Path().size()), kMaxLoopRegexWork);
  EXPECT_EQ(made.filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  EXPECT_EQ(callbacks.held_work.size(), 1u);
  EXPECT_EQ(callbacks.continued, 0);
  EXPECT_EQ(callbacks.RunHeldWork(), 1u);
  EXPECT_EQ(callbacks.continued, 1);
  EXPECT_FALSE(callbacks.local_reply.has_value());
  EXPECT_EQ(head.target, "/" + tail + "?x=1");
}

TEST(RewritePathFilterTest, ALongPathWithNoRoomOffTheLoopGets503) {
  FakeFilterCallbacks callbacks;
  callbacks.blocking_limit = 0;
  auto made = MakeFilter(Config(kRegex, kReplacement), callbacks);
  http::RequestHead head = Request("GET", "a.test", "/api/v1/items/" + std::string(8000, 'a'));
  EXPECT_EQ(made.filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 503);
  const std::string* retry = callbacks.local_reply->headers.Get("retry-after");
  ASSERT_NE(retry, nullptr);
}

TEST(RewritePathFilterTest, ARewriteCancelledByAStoppingWorkerGets503) {
  FakeFilterCallbacks callbacks;
  auto made = MakeFilter(Config(kRegex, kReplacement), callbacks);
  http::RequestHead head = Request("GET", "a.test", "/api/v1/items/" + std::string(8000, 'a'));
  EXPECT_EQ(made.filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  callbacks.RunHeldWork(/*ran=*/false);
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 503);
  EXPECT_EQ(callbacks.continued, 0);
}

TEST(RewritePathFilterTest, AFilterGoneBeforeItsRewriteIsDoneIsNotCalledBack) {
  FakeFilterCallbacks callbacks;
  auto made = MakeFilter(Config(kRegex, kReplacement), callbacks);
  http::RequestHead head = Request("GET", "a.test", "/api/v1/items/" + std::string(8000, 'a'));
  EXPECT_EQ(made.filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  made.filter.reset();
  EXPECT_EQ(callbacks.RunHeldWork(), 1u);
  EXPECT_EQ(callbacks.continued, 0);
}

TEST(RewritePathFilterTest, APathPastTheRegexLimitGets414) {
  FakeFilterCallbacks callbacks;
  auto made = MakeFilter(Config(kRegex, kReplacement), callbacks);
  http::RequestHead head =
      Request("GET", "a.test", "/api/" + std::string(kMaxRegexMatchBytes, 'a'));
  EXPECT_EQ(made.filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 414);
  EXPECT_TRUE(callbacks.held_work.empty());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
