// allowlist-source-range (whitelist-source-range) and denylist-source-range, as ingress-nginx's
// annotations documentation defines them ("Whitelist source range": comma-separated CIDRs that
// may reach the location; the ConfigMap's whitelist-source-range and denylist-source-range are
// the defaults an annotation replaces) and as its e2e tests annotations/ipwhitelist.go and
// ipdenylist.go use them. A list that cannot be read denies the location there; here it refuses
// every client, reported on the Ingress.
#include <functional>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

std::string Site(absl::string_view name, absl::string_view annotations) {
  return AnnotatedSite(name, absl::StrCat(name, ".test"), annotations);
}

// Each virtual host's source-range filter: "allow=A,B deny=C refuse_all", or "none".
std::map<std::string, std::string> RangesByHost(const TranslateResult& result) {
  return FilterByHost(result, [](const gatehouse::v1::Filter& filter) -> std::string {
    if (!filter.has_source_ranges()) return "";
    const auto& ranges = filter.source_ranges();
    return absl::StrCat("allow=", absl::StrJoin(ranges.allow(), ","),
                        " deny=", absl::StrJoin(ranges.deny(), ","),
                        ranges.refuse_all() ? " refuse_all" : "");
  });
}

constexpr absl::string_view kAllow = "nginx.ingress.kubernetes.io/allowlist-source-range";
constexpr absl::string_view kWhitelist = "nginx.ingress.kubernetes.io/whitelist-source-range";
constexpr absl::string_view kDeny = "nginx.ingress.kubernetes.io/denylist-source-range";

std::string Annotation(absl::string_view key, absl::string_view value) {
  return absl::StrCat(key, ": \"", value, "\"");
}

TEST(TranslateAccessTest, TheListsBecomeTheRoutesSourceRangeFilter) {
  TranslateResult result =
      Translate(World(absl::StrCat(
                    kOurClass, kWebService, Site("open", ""),
                    Site("allow", Annotation(kAllow, "10.0.0.0/8, 192.168.0.1 ,2001:db8::/32")),
                    Site("older", Annotation(kWhitelist, "10.0.0.0/8")),
                    Site("both-names", absl::StrCat(Annotation(kAllow, "10.0.0.1"), ", ",
                                                    Annotation(kWhitelist, "10.0.0.2"))),
                    Site("deny", Annotation(kDeny, "192.0.2.0/24")))),
                {});
  std::map<std::string, std::string> ranges = RangesByHost(result);
  EXPECT_EQ(ranges["open.test"], "none");
  EXPECT_EQ(ranges["allow.test"], "allow=10.0.0.0/8,192.168.0.1,2001:db8::/32 deny=");
  EXPECT_EQ(ranges["older.test"], "allow=10.0.0.0/8 deny=");
  EXPECT_EQ(ranges["both-names.test"], "allow=10.0.0.1 deny=");
  EXPECT_EQ(ranges["deny.test"], "allow= deny=192.0.2.0/24");
  EXPECT_THAT(RenderReports(result), testing::Not(testing::HasSubstr("annotation")));
}

TEST(TranslateAccessTest, AnAnnotationReplacesTheControllersDefaultOfItsKind) {
  TranslateOptions options;
  options.allowlist_source_range = {"10.0.0.0/8"};
  options.denylist_source_range = {"10.6.6.6"};
  TranslateResult result =
      Translate(World(absl::StrCat(kOurClass, kWebService, Site("default", ""),
                                   Site("allow", Annotation(kAllow, "172.16.0.0/12")),
                                   Site("deny", Annotation(kDeny, "172.16.6.6")),
                                   Site("open", Annotation(kAllow, "")))),
                options);
  std::map<std::string, std::string> ranges = RangesByHost(result);
  EXPECT_EQ(ranges["default.test"], "allow=10.0.0.0/8 deny=10.6.6.6");
  EXPECT_EQ(ranges["allow.test"], "allow=172.16.0.0/12 deny=10.6.6.6");
  EXPECT_EQ(ranges["deny.test"], "allow=10.0.0.0/8 deny=172.16.6.6");
  // An empty annotation is no list: the default stands, as in ingress-nginx.
  EXPECT_EQ(ranges["open.test"], "allow=10.0.0.0/8 deny=10.6.6.6");
}

TEST(TranslateAccessTest, AListThatCannotBeReadRefusesEveryClientAndSaysWhy) {
  std::string many;
  for (int i = 0; i < 4097; ++i) absl::StrAppend(&many, i == 0 ? "" : ",", "10.0.0.1");
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, Site("prefix", Annotation(kAllow, "10.0.0.0/8, 10.0.0.0/33")),
          Site("name", Annotation(kDeny, "evil.example")), Site("many", Annotation(kAllow, many)))),
      {});
  std::map<std::string, std::string> ranges = RangesByHost(result);
  EXPECT_EQ(ranges["prefix.test"], "allow= deny= refuse_all");
  EXPECT_EQ(ranges["name.test"], "allow= deny= refuse_all");
  EXPECT_EQ(ranges["many.test"], "allow= deny= refuse_all");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports,
              testing::HasSubstr("annotation nginx.ingress.kubernetes.io/allowlist-source-range: "
                                 "\"10.0.0.0/33\" has a prefix length that is not 0 to 32; every "
                                 "client is refused until it is mended"));
  EXPECT_THAT(reports,
              testing::HasSubstr("annotation nginx.ingress.kubernetes.io/denylist-source-range: "
                                 "\"evil.example\" is not an IP address or CIDR range"));
  EXPECT_THAT(reports, testing::HasSubstr("4097 ranges, more than 4096"));
}

// The CORS policy of each virtual host's route, as text, or "none". Reference for the CORS
// cases: ingress-nginx's annotations documentation ("Enable CORS", with its defaults) and e2e
// test annotations/cors.go (origin lists, "*", blank and trailing-comma values).
std::map<std::string, std::string> CorsByHost(const TranslateResult& result) {
  return FilterByHost(
      result,
      [](const gatehouse::v1::Filter& filter) -> std::string {
        if (!filter.has_cors()) return "";
        const auto& cors = filter.cors();
        return absl::StrCat(cors.any_origin() ? "*" : absl::StrJoin(cors.allow_origins(), ","),
                            " | ", cors.allow_methods(), " | ", cors.allow_headers(), " | ",
                            cors.expose_headers(), " | ", cors.allow_credentials(), " | ",
                            cors.max_age_seconds());
      },
      0);
}

constexpr absl::string_view kCorsOn = "nginx.ingress.kubernetes.io/enable-cors: \"true\"";

std::string CorsSite(absl::string_view name, absl::string_view more = "") {
  return Site(name, more.empty() ? std::string(kCorsOn) : absl::StrCat(kCorsOn, ", ", more));
}

std::string Cors(absl::string_view key, absl::string_view value) {
  return absl::StrCat("nginx.ingress.kubernetes.io/cors-", key, ": \"", value, "\"");
}

TEST(TranslateAccessTest, EnableCorsIsTheFirstFilterWithIngressNginxsDefaults) {
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService, CorsSite("defaults"), Site("off", ""),
                         Site("disabled", "nginx.ingress.kubernetes.io/enable-cors: \"false\""),
                         CorsSite("list", Cors("allow-origin",
                                               "https://origin-123.cors.com:8080,   ,"
                                               "https://*.cors.org,")),
                         CorsSite("star", Cors("allow-origin", "*, foo.bar.com")),
                         CorsSite("blank", Cors("allow-origin", "      ")),
                         CorsSite("custom", absl::StrCat(Cors("allow-methods", "POST, GET"), ", ",
                                                         Cors("allow-headers", "DNT, User-Agent"),
                                                         ", ", Cors("expose-headers", "X-A,X-B"),
                                                         ", ", Cors("allow-credentials", "false"),
                                                         ", ", Cors("max-age", "200"))),
                         Site("redirected", absl::StrCat(kCorsOn,
                                                         ", nginx.ingress.kubernetes.io/"
                                                         "force-ssl-redirect: \"true\"")))),
      {});
  std::map<std::string, std::string> cors = CorsByHost(result);
  const std::string defaults =
      " | GET, PUT, POST, DELETE, PATCH, OPTIONS | DNT,Keep-Alive,User-Agent,X-Requested-With,"
      "If-Modified-Since,Cache-Control,Content-Type,Range,Authorization |  | 1 | 1728000";
  EXPECT_EQ(cors["defaults.test"], "*" + defaults);
  EXPECT_EQ(cors["off.test"], "none");
  EXPECT_EQ(cors["disabled.test"], "none");
  EXPECT_EQ(cors["list.test"], "https://origin-123.cors.com:8080,https://*.cors.org" + defaults);
  EXPECT_EQ(cors["star.test"], "*" + defaults);
  EXPECT_EQ(cors["blank.test"], "*" + defaults);
  EXPECT_EQ(cors["custom.test"], "* | POST, GET | DNT, User-Agent | X-A, X-B | 0 | 200");
  // Before the redirect: a preflight over plain HTTP is answered, not redirected.
  EXPECT_EQ(cors["redirected.test"], "*" + defaults);
  EXPECT_THAT(RenderReports(result), testing::Not(testing::HasSubstr("annotation")));
}

TEST(TranslateAccessTest, CorsValuesThatCannotBeUsedAreReported) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService,
          CorsSite("origins", Cors("allow-origin",
                                   "origin.cors.com:8080, https://a.com/, "
                                   "https://ok.test")),
          CorsSite("none-left", Cors("allow-origin", "https://a.com/")),
          CorsSite("values",
                   absl::StrCat(Cors("allow-methods", "GET;DROP"), ", ", Cors("allow-headers", "*"),
                                ", ", Cors("expose-headers", "X-A\\r\\nX-B: 1"), ", ",
                                Cors("allow-credentials", "maybe"), ", ", Cors("max-age", "-1"))))),
      {});
  std::map<std::string, std::string> cors = CorsByHost(result);
  EXPECT_THAT(cors["origins.test"], testing::StartsWith("https://ok.test | "));
  // No valid origin left: no origin is allowed (ingress-nginx would allow them all).
  EXPECT_THAT(cors["none-left.test"], testing::StartsWith(" | "));
  EXPECT_EQ(cors["values.test"],
            "* | GET, PUT, POST, DELETE, PATCH, OPTIONS | DNT,Keep-Alive,User-Agent,"
            "X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
            " |  | 1 | 1728000");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, testing::HasSubstr("\"origin.cors.com:8080\" is not an origin "
                                          "(scheme://host[:port]); left out"));
  EXPECT_THAT(reports, testing::HasSubstr("\"https://a.com/\" has a host that is not letters"));
  EXPECT_THAT(reports, testing::HasSubstr("cors-allow-methods: \"GET;DROP\" is not a "
                                          "comma-separated list of names; using"));
  EXPECT_THAT(reports, testing::HasSubstr("cors-allow-headers: \"*\" is not"));
  EXPECT_THAT(reports, testing::HasSubstr("cors-expose-headers: "));
  EXPECT_THAT(reports, testing::HasSubstr("cors-allow-credentials: \"maybe\" is not true or "
                                          "false; credentials allowed"));
  EXPECT_THAT(reports, testing::HasSubstr("cors-max-age: \"-1\" is not a number of seconds"));
}

// Each virtual host's rate limit: "zone rps rpm burst connections [allowlist] req/conn status".
std::map<std::string, std::string> LimitsByHost(const TranslateResult& result) {
  return FilterByHost(result, [](const gatehouse::v1::Filter& filter) -> std::string {
    if (!filter.has_rate_limit()) return "";
    const auto& limit = filter.rate_limit();
    return absl::StrCat(limit.zone(), " ", limit.requests_per_second(), " ",
                        limit.requests_per_minute(), " ", limit.burst_multiplier(), " ",
                        limit.connections(), " [", absl::StrJoin(limit.allowlist(), ","), "] ",
                        limit.request_status(), "/", limit.connection_status());
  });
}

std::string Limit(absl::string_view key, absl::string_view value) {
  return absl::StrCat("nginx.ingress.kubernetes.io/limit-", key, ": \"", value, "\"");
}

// Reference: ingress-nginx's annotations documentation ("Rate Limiting") and its unit test
// internal/ingress/annotations/ratelimit/main_test.go: a limit of 0 or less is none, the burst
// multiplier defaults to 5, limit-whitelist is the older name of limit-allowlist.
TEST(TranslateAccessTest, TheRateLimitAnnotationsBecomeTheIngresssZone) {
  TranslateOptions options;
  options.limit_req_status = 429;
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, Site("none", ""), Site("zero", Limit("rps", "0")),
          Site("rps", Limit("rps", "10")),
          Site("all", absl::StrCat(Limit("rps", "5"), ", ", Limit("rpm", "300"), ", ",
                                   Limit("connections", "10"), ", ", Limit("burst-multiplier", "3"),
                                   ", ", Limit("allowlist", "10.0.0.0/8, 2001:db8::/32"))),
          Site("older", absl::StrCat(Limit("rpm", "60"), ", ", Limit("whitelist", "10.0.0.1"))),
          Site("bad", absl::StrCat(Limit("rps", "ten"), ", ", Limit("connections", "4"), ", ",
                                   Limit("burst-multiplier", "0"), ", ",
                                   Limit("allowlist", "10.0.0.1, nowhere"))))),
      options);
  std::map<std::string, std::string> limits = LimitsByHost(result);
  EXPECT_EQ(limits["none.test"], "none");
  EXPECT_EQ(limits["zero.test"], "none");
  EXPECT_EQ(limits["rps.test"], "default/rps 10 0 5 0 [] 429/503");
  EXPECT_EQ(limits["all.test"], "default/all 5 300 3 10 [10.0.0.0/8,2001:db8::/32] 429/503");
  EXPECT_EQ(limits["older.test"], "default/older 0 60 5 0 [10.0.0.1] 429/503");
  EXPECT_EQ(limits["bad.test"], "default/bad 0 0 5 4 [10.0.0.1] 429/503");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, testing::HasSubstr("limit-rps: \"ten\" is not a whole number up to "
                                          "1000000; no such limit"));
  EXPECT_THAT(reports, testing::HasSubstr("limit-burst-multiplier: \"0\" is not a whole number "
                                          "from 1 to 1000; using 5"));
  EXPECT_THAT(reports, testing::HasSubstr("limit-allowlist: \"nowhere\" is not an IP address or "
                                          "CIDR range; left out"));
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
