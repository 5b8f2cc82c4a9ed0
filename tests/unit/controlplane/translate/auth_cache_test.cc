// auth-cache-key and auth-cache-duration, as ingress-nginx's annotations documentation
// ("External Authentication") and internal/ingress/annotations/authreq read them:
// auth-cache-key turns the cache on ("e.g. $remote_user$http_authorization"); auth-cache-duration
// is a comma-separated list of nginx's proxy_cache_valid arguments ("200 202 10m, 401 5m"),
// "200 202 401 5m" when unset, and one that cannot be read denies the location. nginx's
// proxy_cache_valid: statuses, then a time (units ms s m h d w M y, several adding up); no
// status means 200, 301 and 302. Each server and location has its own keyspace.
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

using testing::HasSubstr;

constexpr absl::string_view kAuthService = R"(
apiVersion: v1
kind: Service
metadata: {name: oauth2-proxy}
spec: {clusterIP: 10.96.0.9, ports: [{name: http, port: 4180, targetPort: 4180}]}
---
)";

std::string Site(absl::string_view name, absl::string_view annotations) {
  return AnnotatedSite(
      name, absl::StrCat(name, ".test"),
      absl::StrCat("nginx.ingress.kubernetes.io/auth-url: \"http://oauth2-proxy:4180/auth\"",
                   annotations.empty() ? "" : ", ", annotations));
}

std::string Key(absl::string_view key) {
  return absl::StrCat("nginx.ingress.kubernetes.io/auth-cache-key: \"", key, "\"");
}

std::string Duration(absl::string_view duration) {
  return absl::StrCat("nginx.ingress.kubernetes.io/auth-cache-duration: \"", duration, "\"");
}

// Each host's cache: "KEY [STATUS,..=SECONDS]... @SCOPE", "off", or "deny".
std::map<std::string, std::string> CacheByHost(const TranslateResult& result) {
  return FilterByHost(result, [](const gatehouse::v1::Filter& filter) -> std::string {
    if (!filter.has_external_auth()) return "";
    const gatehouse::v1::ExternalAuth& auth = filter.external_auth();
    if (auth.deny()) return "deny";
    if (auth.cache_key().empty()) {
      EXPECT_EQ(auth.cache_rules_size(), 0);
      EXPECT_EQ(auth.cache_scope(), "");
      return "off";
    }
    std::string out = auth.cache_key();
    for (const auto& rule : auth.cache_rules()) {
      absl::StrAppend(&out, " ", rule.any_status() ? "any" : absl::StrJoin(rule.statuses(), ","),
                      "=", rule.seconds());
    }
    return absl::StrCat(out, " @", auth.cache_scope());
  });
}

TEST(TranslateAuthCacheTest, TheKeyAndDurationsBecomeTheFiltersCache) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kAuthService, Site("plain", ""),
          Site("default", Key("$remote_user$http_authorization")),
          Site("listed", absl::StrCat(Key("$cookie__oauth2_proxy"), ", ",
                                      Duration("200 202 10m, 401 1h 30m, 5m, 403 1500ms"))))),
      {});
  std::map<std::string, std::string> cache = CacheByHost(result);
  EXPECT_EQ(cache["plain.test"], "off");
  EXPECT_EQ(cache["default.test"],
            "$remote_user$http_authorization 200,202,401=300 @default.test PREFIX /");
  EXPECT_EQ(
      cache["listed.test"],
      "$cookie__oauth2_proxy 200,202=600 401=5400 200,301,302=300 403=2 @listed.test PREFIX /");
  EXPECT_THAT(RenderReports(result), testing::Not(HasSubstr("auth")));
}

TEST(TranslateAuthCacheTest, AnyStatusAndNoTimeAreNginxs) {
  // proxy_cache_valid: "any" names every status; a time of 0 keeps nothing of its statuses
  // (and, being first, no later entry keeps them either).
  auto cached = [](absl::string_view duration) {
    return absl::StrCat(Key("$remote_user"), ", ", Duration(duration));
  };
  TranslateResult result =
      Translate(World(absl::StrCat(kOurClass, kWebService, kAuthService,
                                   Site("any", cached("401 0s, 200 0ms, any 1m")),
                                   Site("huge", cached("200 99999999999999999999y")),
                                   Site("long", cached("200 18446744073709551615s")))),
                {});
  std::map<std::string, std::string> cache = CacheByHost(result);
  EXPECT_EQ(cache["any.test"], "$remote_user 401=0 200=0 any=60 @any.test PREFIX /");
  EXPECT_EQ(cache["huge.test"], "deny");
  EXPECT_EQ(cache["long.test"], "deny");
  EXPECT_THAT(RenderReports(result), HasSubstr("\"200 18446744073709551615s\" is longer than 136 "
                                               "years"));
}

TEST(TranslateAuthCacheTest, EachPathTypeKeepsItsOwnAnswers) {
  // ingress-nginx's auth location is named by the path and its type.
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService, kAuthService,
                         Ingress("typed",
                                 absl::StrCat("annotations: {nginx.ingress.kubernetes.io/auth-url: "
                                              "\"http://oauth2-proxy:4180/auth\", ",
                                              Key("$remote_user"), "}"),
                                 absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: "
                                              "typed.test, http: {paths: [{path: /x, pathType: "
                                              "Exact, backend: ",
                                              kBackendWeb,
                                              "}, {path: /x, pathType: Prefix, "
                                              "backend: ",
                                              kBackendWeb, "}]}}]")))),
      {});
  std::vector<std::string> scopes;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      for (const auto& filter : route.filters()) {
        if (filter.has_external_auth()) scopes.push_back(filter.external_auth().cache_scope());
      }
    }
  }
  EXPECT_THAT(scopes, testing::UnorderedElementsAre("typed.test EXACT /x", "typed.test PREFIX /x"));
}

TEST(TranslateAuthCacheTest, WhatCannotBeReadIsReported) {
  TranslateResult result =
      Translate(World(absl::StrCat(
                    kOurClass, kWebService, kAuthService, Site("unknown", Key("$ssl_client_s_dn")),
                    Site("late", absl::StrCat(Key("$remote_user"), ", ", Duration("5m 200"))),
                    Site("unit", absl::StrCat(Key("$remote_user"), ", ", Duration("200 5x"))),
                    Site("timeless", absl::StrCat(Key("$remote_user"), ", ", Duration("200 202"))),
                    Site("lonely", Duration("200 5m")))),
                {});
  std::map<std::string, std::string> cache = CacheByHost(result);
  // A key that cannot be read: no cache (ingress-nginx drops it too); the auth still applies.
  EXPECT_EQ(cache["unknown.test"], "off");
  // A duration that cannot be read denies the paths, as in ingress-nginx.
  EXPECT_EQ(cache["late.test"], "deny");
  EXPECT_EQ(cache["unit.test"], "deny");
  EXPECT_EQ(cache["timeless.test"], "deny");
  EXPECT_EQ(cache["lonely.test"], "off");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("auth-cache-key: \"$ssl_client_s_dn\": $ssl_client_s_dn is not "
                                 "one of $http_NAME"));
  EXPECT_THAT(reports, HasSubstr("no answer is kept, every request asks"));
  EXPECT_THAT(reports, HasSubstr("auth-cache-duration: \"5m 200\" names a status after a time; "
                                 "every request gets 503 until it is mended"));
  EXPECT_THAT(reports, HasSubstr("auth-cache-duration: \"200 5x\" \"5x\" is neither a status nor "
                                 "a time"));
  EXPECT_THAT(reports, HasSubstr("auth-cache-duration: \"200 202\" has no time"));
  EXPECT_THAT(reports, HasSubstr("auth-cache-duration: no auth-cache-key, so no answer is kept"));
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
