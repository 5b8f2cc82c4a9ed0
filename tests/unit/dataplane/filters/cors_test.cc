// The CORS filter. References: ingress-nginx's annotations documentation ("Enable CORS") and its
// template's CORS block (an allowed origin's OPTIONS is answered 204 by the proxy with the
// Allow-Methods, -Allow-Headers and -Max-Age it is configured with; other requests get
// Access-Control-Allow-Origin and -Credentials on their response); and the Fetch standard,
// which Gatehouse follows where ingress-nginx does not: "CORS check" (a credentialed response
// never says "*", so "*" comes without Access-Control-Allow-Credentials; naming every Origin
// instead would let any site read signed-in responses), "CORS-preflight request" (OPTIONS with
// Access-Control-Request-Method), and "CORS protocol and HTTP caches" (Vary: Origin when the
// answer depends on the Origin).
#include "dataplane/filters/cors.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(std::vector<std::string> origins, bool credentials = true,
                  std::string expose = "") {
  v1::Filter config;
  v1::Cors& cors = *config.mutable_cors();
  for (const std::string& origin : origins) {
    if (origin == "*") {
      cors.set_any_origin(true);
    } else {
      cors.add_allow_origins(origin);
    }
  }
  cors.set_allow_methods("GET, PUT, POST, DELETE, PATCH, OPTIONS");
  cors.set_allow_headers("DNT,Keep-Alive,User-Agent,Content-Type,Authorization");
  cors.set_expose_headers(expose);
  cors.set_allow_credentials(credentials);
  cors.set_max_age_seconds(1728000);
  return config;
}

std::string Header(const http::HeaderMap& headers, const char* name) {
  const std::string* value = headers.Get(name);
  return value == nullptr ? "<none>" : *value;
}

struct Outcome {
  bool answered_here = false;
  http::ResponseHead response;
};

Outcome Through(const v1::Filter& config, const char* method, const char* origin,
                bool preflight_header = false, http::HeaderMap upstream_headers = {}) {
  FakeFilterCallbacks callbacks("https");
  auto filter = MakeFilter(config, callbacks);
  http::RequestHead head = Request(method, "api.test", "/");
  if (origin != nullptr) head.headers.Add("Origin", origin);
  if (preflight_header) head.headers.Add("Access-Control-Request-Method", "PUT");
  Outcome outcome;
  if (filter->OnRequestHeaders(head, true) == FilterStatus::kStop) {
    EXPECT_TRUE(callbacks.local_reply.has_value());
    outcome.answered_here = true;
    outcome.response.status = callbacks.local_reply->status;
    outcome.response.headers = callbacks.local_reply->headers;
  } else {
    outcome.response.status = 200;
    outcome.response.headers = std::move(upstream_headers);
  }
  filter->OnResponseHeaders(outcome.response, false);
  return outcome;
}

TEST(CorsFilterTest, AnAllowedOriginIsNamedOnTheResponse) {
  Outcome out = Through(Config({"https://origin.cors.com:8080", "https://origin2.cors.com"}), "GET",
                        "https://origin.cors.com:8080");
  EXPECT_FALSE(out.answered_here);
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"),
            "https://origin.cors.com:8080");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-credentials"), "true");
  EXPECT_EQ(Header(out.response.headers, "vary"), "Origin");
  EXPECT_EQ(Header(out.response.headers, "access-control-expose-headers"), "<none>");
}

TEST(CorsFilterTest, AnOriginNotListedGetsNoCorsHeadersButTheAnswerStillVaries) {
  for (const char* method : {"GET", "OPTIONS"}) {
    Outcome out = Through(Config({"http://origin2.cors.com", "https://origin.com"}), method,
                          "http://no.origin.com", true);
    EXPECT_FALSE(out.answered_here) << method;  // the upstream answers its own OPTIONS
    EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"), "<none>");
    EXPECT_EQ(Header(out.response.headers, "access-control-allow-credentials"), "<none>");
    EXPECT_EQ(Header(out.response.headers, "vary"), "Origin");
  }
}

TEST(CorsFilterTest, APreflightFromAnAllowedOriginIsAnsweredHere) {
  Outcome out = Through(Config({"https://app.test"}), "OPTIONS", "https://app.test", true);
  ASSERT_TRUE(out.answered_here);
  EXPECT_EQ(out.response.status, 204);
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"), "https://app.test");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-methods"),
            "GET, PUT, POST, DELETE, PATCH, OPTIONS");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-headers"),
            "DNT,Keep-Alive,User-Agent,Content-Type,Authorization");
  EXPECT_EQ(Header(out.response.headers, "access-control-max-age"), "1728000");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-credentials"), "true");
  // An OPTIONS that is not a preflight (no Access-Control-Request-Method) goes upstream.
  EXPECT_FALSE(Through(Config({"https://app.test"}), "OPTIONS", "https://app.test").answered_here);
}

TEST(CorsFilterTest, EveryOriginIsAStarThatNeverAllowsCredentials) {
  // cors-allow-credentials true (the default) cannot make "*" credentialed, nor turn it into
  // the reflection of any Origin.
  http::HeaderMap upstream;
  upstream.Add("Access-Control-Allow-Credentials", "true");
  Outcome out = Through(Config({"*"}, true), "GET", "https://any.example", false, upstream);
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"), "*");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-credentials"), "<none>");
  EXPECT_EQ(Header(out.response.headers, "vary"), "<none>");
  out = Through(Config({"*"}, true), "OPTIONS", "null", true);
  ASSERT_TRUE(out.answered_here);
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"), "*");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-credentials"), "<none>");
}

TEST(CorsFilterTest, EveryOriginWithoutCredentialsIsAStarThatNeedNotVary) {
  Outcome out = Through(Config({"*"}, false, "X-Custom"), "GET", "https://any.example");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"), "*");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-credentials"), "<none>");
  EXPECT_EQ(Header(out.response.headers, "vary"), "<none>");
  EXPECT_EQ(Header(out.response.headers, "access-control-expose-headers"), "X-Custom");
  // Without an Origin, ingress-nginx's e2e cases expect "*" from such a policy.
  out = Through(Config({"*"}, false), "GET", nullptr);
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"), "*");
}

TEST(CorsFilterTest, TheProxysHeadersReplaceTheUpstreamsAndVaryIsExtended) {
  http::HeaderMap upstream;
  upstream.Add("Access-Control-Allow-Origin", "*");
  upstream.Add("Access-Control-Allow-Credentials", "false");
  upstream.Add("Vary", "Accept-Encoding");
  upstream.Add("Vary", "Cookie");
  Outcome out = Through(Config({"https://app.test"}), "GET", "https://app.test", false, upstream);
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-origin"), "https://app.test");
  EXPECT_EQ(Header(out.response.headers, "access-control-allow-credentials"), "true");
  // Every Vary the backend sent stays; Origin joins them once.
  std::vector<std::string> vary;
  for (const auto& [name, value] : out.response.headers.entries()) {
    if (name == "Vary") vary.push_back(value);
  }
  EXPECT_EQ(vary, (std::vector<std::string>{"Accept-Encoding", "Cookie", "Origin"}));
  upstream = http::HeaderMap();
  upstream.Add("Vary", "Accept-Encoding");
  upstream.Add("Vary", "origin, Cookie");
  out = Through(Config({"https://app.test"}), "GET", "https://app.test", false, upstream);
  EXPECT_EQ(out.response.headers.size(), 4u);  // two Vary, Allow-Origin, Allow-Credentials
}

TEST(CorsFilterTest, ValuesThatCannotBeSentAreRefusedAtCompile) {
  v1::Filter config = Config({"https://app.test"});
  config.mutable_cors()->set_allow_methods("GET\r\nX: 1");
  EXPECT_FALSE(CompileFilter(config).ok());
  config = Config({"https://app.test/"});
  EXPECT_FALSE(CompileFilter(config).ok());
  config = Config({"https://app.test"});
  config.mutable_cors()->set_allow_headers("X-A, (bad)");
  EXPECT_FALSE(CompileFilter(config).ok());
  std::vector<std::string> many(kMaxCorsOrigins + 1, "https://app.test");
  EXPECT_FALSE(CompileFilter(Config(many)).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
