// A cache key's value for a request: each nginx variable as nginx gives it (a missing one is
// empty), each part length-prefixed so that values cannot run into each other.
#include "dataplane/filters/request_key_value.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

std::string ValueOf(absl::string_view key, const http::RequestHead& head) {
  absl::StatusOr<RequestKeyTemplate> parsed = RequestKeyTemplate::Parse(key);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  DownstreamInfo downstream;
  downstream.scheme = "https";
  downstream.client_ip = "203.0.113.9";
  return RequestKeyValue(*parsed, head, downstream);
}

TEST(RequestKeyValueTest, EachVariableAsNginxGivesIt) {
  http::RequestHead head = fakes::Request("GET", "App.Test:8443", "/r/q?Team=blue&x=1&team=red");
  head.headers.Add("Authorization", "Basic " + absl::Base64Escape("alice:secret"));
  head.headers.Add("X-Forwarded-User", "carol");
  head.headers.Add("Cookie", "a=1; _oauth2_proxy=tok");
  EXPECT_EQ(ValueOf("$remote_user", head), "5:alice");
  EXPECT_EQ(ValueOf("$http_x_forwarded_user", head), "5:carol");
  EXPECT_EQ(ValueOf("$cookie__oauth2_proxy", head), "3:tok");
  EXPECT_EQ(ValueOf("$arg_team", head), "4:blue");  // the first, any case, as nginx
  EXPECT_EQ(ValueOf("$host", head), "8:app.test");
  EXPECT_EQ(ValueOf("$uri", head), "4:/r/q");
  EXPECT_EQ(ValueOf("$request_uri", head), "27:/r/q?Team=blue&x=1&team=red");
  EXPECT_EQ(ValueOf("$args", head), "22:Team=blue&x=1&team=red");
  EXPECT_EQ(ValueOf("$scheme$request_method$remote_addr", head), "5:https3:GET11:203.0.113.9");
  EXPECT_EQ(ValueOf("u=$remote_user", head), "2:u=5:alice");
  // Missing: empty.
  EXPECT_EQ(ValueOf("$http_x_none$cookie_none$arg_none", head), "0:0:0:");
}

TEST(RequestKeyValueTest, ValuesNeverRunIntoEachOther) {
  http::RequestHead one = fakes::Request("GET", "a.test", "/");
  one.headers.Add("A", "xy");
  one.headers.Add("B", "z");
  http::RequestHead two = fakes::Request("GET", "a.test", "/");
  two.headers.Add("A", "x");
  two.headers.Add("B", "yz");
  EXPECT_NE(ValueOf("$http_a$http_b", one), ValueOf("$http_a$http_b", two));
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
