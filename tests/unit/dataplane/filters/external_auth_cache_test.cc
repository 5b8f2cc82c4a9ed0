// External auth with a cache key. Reference: ingress-nginx's annotations documentation
// ("External Authentication"): auth-cache-key "enables caching for auth requests" by a key of
// nginx variables, each server and location with its own keyspace; auth-cache-duration gives
// times per status as nginx's proxy_cache_valid ("200 202 10m, 401 5m"). nginx's cache, under
// it, keeps no response with Set-Cookie or with Cache-Control no-store, no-cache or private, and
// lets Cache-Control max-age set the time.
#include "dataplane/filters/external_auth.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;
using fakes::SideAnswer;

v1::Filter Config(const std::string& key = "$cookie_session") {
  v1::Filter config;
  v1::ExternalAuth& auth = *config.mutable_external_auth();
  auth.set_cluster("auth/oauth2-proxy:80");
  auth.set_host("oauth2-proxy.auth.svc");
  auth.set_target("/oauth2/auth");
  auth.add_response_headers("X-Auth-Request-User");
  auth.set_signin_param("rd");
  auth.set_timeout_ms(5000);
  auth.set_cache_key(key);
  auth.set_cache_scope("app.test /");
  v1::AuthCacheRule& kept = *auth.add_cache_rules();
  kept.add_statuses(200);
  kept.add_statuses(202);
  kept.set_seconds(600);
  v1::AuthCacheRule& refused = *auth.add_cache_rules();
  refused.add_statuses(401);
  refused.add_statuses(200);  // the first rule naming a status decides
  refused.set_seconds(60);
  return config;
}

// One request with `session`; answered with `answer` if it asks. What happened to it.
struct Outcome {
  bool asked = false;
  int status = 0;  // 0: went on
  std::string user;
};

Outcome Send(const v1::Filter& config, const std::string& session,
             std::optional<SideResponse> answer = std::nullopt) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(config, callbacks);
  http::RequestHead head = Request("GET", "app.test", "/");
  head.headers.Add("Cookie", "session=" + session);
  head.headers.Add("X-Auth-Request-User", "forged");
  Outcome outcome;
  FilterStatus status = filter->OnRequestHeaders(head, true);
  outcome.asked = !callbacks.side_requests.empty();
  if (outcome.asked) {
    EXPECT_EQ(status, FilterStatus::kStop);
    EXPECT_TRUE(answer.has_value());
    if (answer.has_value()) EXPECT_TRUE(callbacks.AnswerSideRequest(*answer));
    if (callbacks.continued == 0 && !callbacks.local_reply.has_value()) ADD_FAILURE();
  } else if (status == FilterStatus::kStop) {
    EXPECT_TRUE(callbacks.local_reply.has_value());
  }
  if (callbacks.local_reply.has_value()) outcome.status = callbacks.local_reply->status;
  if (const std::string* user = head.headers.Get("x-auth-request-user")) outcome.user = *user;
  return outcome;
}

TEST(ExternalAuthCacheTest, AKeptAnswerDecidesTheSameKeysNextRequests) {
  v1::Filter config = Config();
  Outcome first = Send(config, "alice-1", SideAnswer(202, {{"X-Auth-Request-User", "alice"}}));
  EXPECT_TRUE(first.asked);
  EXPECT_EQ(first.user, "alice");
  // Decided here, in the filter's own call: the chain goes on with the kept answer's headers.
  Outcome second = Send(config, "alice-1");
  EXPECT_FALSE(second.asked);
  EXPECT_EQ(second.status, 0);
  EXPECT_EQ(second.user, "alice");
  // Another key asks.
  EXPECT_TRUE(Send(config, "bob-1", SideAnswer(202, {{"X-Auth-Request-User", "bob"}})).asked);
  EXPECT_EQ(Send(config, "bob-1").user, "bob");
  // A 401 is kept too (by the second rule), and refuses without asking.
  EXPECT_TRUE(Send(config, "mallory", SideAnswer(401)).asked);
  Outcome refused = Send(config, "mallory");
  EXPECT_FALSE(refused.asked);
  EXPECT_EQ(refused.status, 401);
}

TEST(ExternalAuthCacheTest, OnlyTheStatusesOfTheRulesAreKept) {
  v1::Filter config = Config();
  for (int status : {403, 500, 204}) {
    std::string session = "s" + std::to_string(status);
    EXPECT_TRUE(Send(config, session, SideAnswer(status)).asked);
    EXPECT_TRUE(Send(config, session, SideAnswer(status)).asked) << status;
  }
}

TEST(ExternalAuthCacheTest, AnswersTheServiceMarksAsPrivateAreNotKept) {
  v1::Filter config = Config();
  int n = 0;
  for (auto header :
       std::vector<std::pair<const char*, const char*>>{{"Set-Cookie", "_oauth2_proxy=new"},
                                                        {"Cache-Control", "no-store"},
                                                        {"Cache-Control", "private, max-age=60"},
                                                        {"cache-control", "No-Cache"},
                                                        {"Cache-Control", "max-age=0"},
                                                        {"Vary", "*"}}) {
    std::string session = "p" + std::to_string(n++);
    EXPECT_TRUE(Send(config, session, SideAnswer(200, {header})).asked);
    EXPECT_TRUE(Send(config, session, SideAnswer(200)).asked)
        << header.first << ": " << header.second;
  }
  // max-age above 0 keeps it.
  EXPECT_TRUE(Send(config, "aged", SideAnswer(200, {{"Cache-Control", "max-age=30"}})).asked);
  EXPECT_FALSE(Send(config, "aged").asked);
}

TEST(ExternalAuthCacheTest, AnyStatusAndNoTimeAreNginxs) {
  v1::Filter config = Config();
  v1::ExternalAuth& auth = *config.mutable_external_auth();
  auth.clear_cache_rules();
  v1::AuthCacheRule& never = *auth.add_cache_rules();  // first: 403 is never kept
  never.add_statuses(403);
  never.set_seconds(0);
  v1::AuthCacheRule& any = *auth.add_cache_rules();
  any.set_any_status(true);
  any.set_seconds(60);
  ASSERT_TRUE(CompileFilter(config).ok());
  EXPECT_TRUE(Send(config, "kept-401", SideAnswer(401)).asked);
  EXPECT_FALSE(Send(config, "kept-401").asked);
  EXPECT_TRUE(Send(config, "kept-204", SideAnswer(204)).asked);
  EXPECT_FALSE(Send(config, "kept-204").asked);
  EXPECT_TRUE(Send(config, "never-403", SideAnswer(403)).asked);
  EXPECT_TRUE(Send(config, "never-403", SideAnswer(403)).asked);
}

TEST(ExternalAuthCacheTest, EachRouteAndEachConfigKeepsItsOwnAnswers) {
  v1::Filter config = Config();
  EXPECT_TRUE(Send(config, "alice-2", SideAnswer(202)).asked);
  EXPECT_FALSE(Send(config, "alice-2").asked);
  v1::Filter other_route = config;
  other_route.mutable_external_auth()->set_cache_scope("app.test /admin");
  EXPECT_TRUE(Send(other_route, "alice-2", SideAnswer(403)).asked);
  v1::Filter other_service = config;
  other_service.mutable_external_auth()->set_target("/oauth2/auth?allowed_groups=admin");
  EXPECT_TRUE(Send(other_service, "alice-2", SideAnswer(403)).asked);
}

TEST(ExternalAuthCacheTest, AFailedAskIsNeverKept) {
  v1::Filter config = Config();
  SideResponse failed;
  failed.ok = false;
  failed.error = "timeout";
  EXPECT_EQ(Send(config, "down", failed).status, 500);
  EXPECT_TRUE(Send(config, "down", SideAnswer(200)).asked);
}

TEST(ExternalAuthCacheTest, ConfigsThatCannotBeServedAreRefused) {
  auto refused = [](auto edit) {
    v1::Filter config = Config();
    edit(*config.mutable_external_auth());
    return !CompileFilter(config).ok();
  };
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.set_cache_key("$nope"); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.clear_cache_rules(); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.mutable_cache_rules(0)->add_statuses(99); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.mutable_cache_rules(0)->clear_statuses(); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) {
    for (int i = 0; i < ExternalAuthFilter::kMaxCacheRuleStatuses; ++i) {
      a.mutable_cache_rules(0)->add_statuses(200);
    }
  }));
  EXPECT_FALSE(refused([](v1::ExternalAuth&) {}));
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
