// External auth. Reference: ingress-nginx's annotations documentation ("External
// Authentication": auth-url, auth-method, auth-signin with its rd parameter,
// auth-signin-redirect-param, auth-response-headers, auth-request-redirect) and its template's
// auth location (a bodiless subrequest with the client's headers plus X-Original-URL,
// X-Original-Method, X-Real-IP, X-Forwarded-For, X-Auth-Request-Redirect; 2xx lets the request
// through, 401 and 403 are the client's answer, anything else is 500, and only a 401 is sent to
// auth-signin, with a 302 whose rd is the request's URL, escaped).
#include "dataplane/filters/external_auth.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;
using fakes::SideAnswer;
using testing::HasSubstr;
using testing::Not;

v1::Filter Config() {
  v1::Filter config;
  v1::ExternalAuth& auth = *config.mutable_external_auth();
  auth.set_cluster("auth/oauth2-proxy:80");
  auth.set_host("oauth2-proxy.auth.svc");
  auth.set_target("/oauth2/auth?allowed_groups=staff");
  auth.add_response_headers("X-Auth-Request-User");
  auth.add_response_headers("X-Auth-Request-Email");
  auth.set_signin_param("rd");
  auth.set_timeout_ms(5000);
  return config;
}

http::RequestHead ClientRequest() {
  http::RequestHead head = Request("POST", "app.test:8443", "/reports/q?a=b&c=d");
  head.headers.Add("Host", "app.test:8443");
  head.headers.Add("Cookie", "_oauth2_proxy=abc");
  head.headers.Add("X-Auth-Request-User", "forged");  // a client's claim: replaced
  head.headers.Add("X-Original-URL", "http://evil/");
  head.headers.Add("Content-Length", "5");
  return head;
}

TEST(ExternalAuthFilterTest, TheSideRequestCarriesTheClientsHeadersAndWhatTheProxyKnows) {
  FakeFilterCallbacks callbacks("https", "203.0.113.9");
  auto filter = MakeFilter(Config(), callbacks);
  http::RequestHead head = ClientRequest();
  EXPECT_EQ(filter->OnRequestHeaders(head, false), FilterStatus::kStop);
  ASSERT_EQ(callbacks.side_requests.size(), 1u);
  const auto& sent = callbacks.side_requests[0];
  EXPECT_EQ(sent.cluster, "auth/oauth2-proxy:80");
  EXPECT_EQ(sent.timeout_ms, 5000u);
  EXPECT_EQ(sent.head.method, "GET");  // auth-method unset: nginx's subrequest is a GET
  EXPECT_EQ(sent.head.target, "/oauth2/auth?allowed_groups=staff");
  EXPECT_EQ(sent.head.authority, "oauth2-proxy.auth.svc");
  EXPECT_EQ(sent.head.framing, http::BodyFraming::kNone);
  const http::HeaderMap& h = sent.head.headers;
  EXPECT_EQ(*h.Get("cookie"), "_oauth2_proxy=abc");
  EXPECT_EQ(*h.Get("x-original-url"), "https://app.test:8443/reports/q?a=b&c=d");
  EXPECT_EQ(*h.Get("x-original-method"), "POST");
  EXPECT_EQ(*h.Get("x-real-ip"), "203.0.113.9");
  EXPECT_EQ(*h.Get("x-forwarded-for"), "203.0.113.9");
  EXPECT_EQ(*h.Get("x-forwarded-proto"), "https");
  EXPECT_EQ(*h.Get("x-forwarded-host"), "app.test:8443");
  EXPECT_EQ(*h.Get("x-auth-request-redirect"), "/reports/q?a=b&c=d");
  EXPECT_FALSE(h.Has("content-length"));
  EXPECT_EQ(*h.Get("host"), "oauth2-proxy.auth.svc");  // the client's is not sent
  // One X-Original-URL: the client's own never reaches the auth service.
  int count = 0;
  for (const auto& entry : h.entries()) count += entry.first == "X-Original-URL" ? 1 : 0;
  EXPECT_EQ(count, 1);
}

TEST(ExternalAuthFilterTest, A2xxLetsTheRequestThroughWithTheAnswersHeaders) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config(), callbacks);
  http::RequestHead head = ClientRequest();
  filter->OnRequestHeaders(head, false);
  EXPECT_EQ(callbacks.continued, 0);
  ASSERT_TRUE(callbacks.AnswerSideRequest(
      SideAnswer(202, {{"X-Auth-Request-User", "alice"}, {"Set-Cookie", "_oauth2_proxy=new"}})));
  EXPECT_EQ(callbacks.continued, 1);
  EXPECT_FALSE(callbacks.local_reply.has_value());
  EXPECT_EQ(*head.headers.Get("x-auth-request-user"), "alice");
  // Listed but not in the answer: not sent upstream.
  EXPECT_FALSE(head.headers.Has("x-auth-request-email"));
  // The answer's cookie reaches the client with a success, not with an error.
  http::ResponseHead ok;
  filter->OnResponseHeaders(ok, true);
  EXPECT_EQ(*ok.headers.Get("set-cookie"), "_oauth2_proxy=new");
  http::ResponseHead failed;
  failed.status = 503;
  filter->OnResponseHeaders(failed, true);
  EXPECT_FALSE(failed.headers.Has("set-cookie"));
}

TEST(ExternalAuthFilterTest, A401GoesToSignInWithTheRequestsUrl) {
  v1::Filter config = Config();
  config.mutable_external_auth()->set_signin("https://$host/oauth2/start");
  FakeFilterCallbacks callbacks("https");
  auto filter = MakeFilter(config, callbacks);
  http::RequestHead head = ClientRequest();
  filter->OnRequestHeaders(head, false);
  callbacks.AnswerSideRequest(SideAnswer(401, {{"Set-Cookie", "csrf=1"}}));
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 302);
  EXPECT_EQ(*callbacks.local_reply->headers.Get("location"),
            "https://app.test/oauth2/start?rd=https%3A%2F%2Fapp.test%3A8443%2Freports%2Fq%3Fa%3Db%"
            "26c%3Dd");
  EXPECT_EQ(*callbacks.local_reply->headers.Get("set-cookie"), "csrf=1");
  EXPECT_EQ(callbacks.continued, 0);

  // A sign-in URL that names the parameter already is left as it is; another parameter name
  // (auth-signin-redirect-param) and an existing query take '&'.
  config.mutable_external_auth()->set_signin("https://sso.test/start?rd=$escaped_request_uri");
  FakeFilterCallbacks named;
  auto again = MakeFilter(config, named);
  http::RequestHead second = ClientRequest();
  again->OnRequestHeaders(second, false);
  named.AnswerSideRequest(SideAnswer(401));
  EXPECT_EQ(*named.local_reply->headers.Get("location"),
            "https://sso.test/start?rd=%2Freports%2Fq%3Fa%3Db%26c%3Dd");
  config.mutable_external_auth()->set_signin("https://sso.test/start?x=1");
  config.mutable_external_auth()->set_signin_param("orig");
  FakeFilterCallbacks other;
  auto third = MakeFilter(config, other);
  http::RequestHead head3 = ClientRequest();
  third->OnRequestHeaders(head3, false);
  other.AnswerSideRequest(SideAnswer(401));
  EXPECT_EQ(*other.local_reply->headers.Get("location"),
            "https://sso.test/start?x=1&orig=http%3A%2F%2Fapp.test%3A8443%2Freports%2Fq%3Fa%3Db%"
            "26c%3Dd");
}

TEST(ExternalAuthFilterTest, RefusalsAndFailuresNeverLetTheRequestThrough) {
  struct Case {
    SideResponse answer;
    int status;
  };
  SideResponse down;
  down.error = "cannot connect to 10.1.2.3:9000";  // an internal address: never to the client
  const Case cases[] = {
      {SideAnswer(401, {{"WWW-Authenticate", "Bearer"}}), 401},  // no sign-in URL
      {SideAnswer(403), 403},                                    // never sent to sign in
      {SideAnswer(302, {{"Location", "/elsewhere"}}), 500},
      {SideAnswer(500), 500},
      {SideAnswer(404), 500},
      {down, 500},
  };
  for (const Case& c : cases) {
    FakeFilterCallbacks callbacks;
    auto filter = MakeFilter(Config(), callbacks);
    http::RequestHead head = ClientRequest();
    filter->OnRequestHeaders(head, false);
    callbacks.AnswerSideRequest(c.answer);
    ASSERT_TRUE(callbacks.local_reply.has_value());
    EXPECT_EQ(callbacks.local_reply->status, c.status);
    EXPECT_THAT(callbacks.local_reply->message, Not(HasSubstr("10.1.2.3")));
    EXPECT_EQ(callbacks.continued, 0);
    if (c.status == 401) {
      EXPECT_EQ(*callbacks.local_reply->headers.Get("www-authenticate"), "Bearer");
    }
  }
}

TEST(ExternalAuthFilterTest, ARequestThatGoesAwayCancelsItsSideRequest) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config(), callbacks);
  http::RequestHead head = ClientRequest();
  filter->OnRequestHeaders(head, false);
  filter.filter.reset();
  EXPECT_EQ(callbacks.cancelled_side_requests, (std::vector<uint64_t>{1}));
}

TEST(ExternalAuthFilterTest, AConfigThatCouldNotBeReadAnswers503) {
  v1::Filter config;
  config.mutable_external_auth()->set_deny(true);
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(config, callbacks);
  http::RequestHead head = ClientRequest();
  EXPECT_EQ(filter->OnRequestHeaders(head, false), FilterStatus::kStop);
  EXPECT_EQ(callbacks.local_reply->status, 503);
  EXPECT_TRUE(callbacks.side_requests.empty());
}

TEST(ExternalAuthFilterTest, ConfigsThatCannotBeServedAreRefused) {
  auto refused = [](auto edit) {
    v1::Filter config = Config();
    edit(*config.mutable_external_auth());
    return !CompileFilter(config).ok();
  };
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.set_target("oauth2/auth"); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.set_target("/a\r\nX: 1"); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.set_host("a b"); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.set_method("G T"); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.add_response_headers("Content-Length"); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.set_signin("https://x/$nope"); }));
  EXPECT_TRUE(refused([](v1::ExternalAuth& a) { a.set_timeout_ms(0); }));
  EXPECT_FALSE(refused([](v1::ExternalAuth& a) { a.set_method("HEAD"); }));
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
