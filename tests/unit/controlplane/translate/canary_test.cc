// Canary Ingresses, as ingress-nginx's annotations documentation ("Canary") describes them: an
// Ingress with canary "true" takes a share of the requests of another Ingress's same host and
// path (ingress-nginx matches path and pathType), by header, cookie or weight; its other
// annotations are the primary's, except load balancing and affinity. Where Gatehouse adds a rule
// (a canary must be in its primary's namespace), the test says so.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

constexpr absl::string_view kServices = R"(
apiVersion: v1
kind: Service
metadata: {name: web-v2}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-v3}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-v2, namespace: other}
spec: {ports: [{name: http, port: 80}]}
---
)";

// An Ingress on host a.com: `path` (`type`) to `service`, with `annotations`, created at minute
// `minute` (older wins).
std::string PathIngress(absl::string_view name, int minute, absl::string_view annotations,
                        absl::string_view service, absl::string_view path = "/",
                        absl::string_view type = "Prefix", absl::string_view ns = "default") {
  return Ingress(
      name,
      absl::StrCat("namespace: ", ns, ", creationTimestamp: \"2026-01-01T00:",
                   minute < 10 ? "0" : "", minute, ":00Z\", annotations: {", annotations, "}"),
      absl::StrCat(
          "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: [{path: \"", path,
          "\", pathType: ", type, ", backend: {service: {name: ", service,
          ", port: {number: 80}}}}]}}]"));
}

constexpr absl::string_view kCanary = "nginx.ingress.kubernetes.io/canary: \"true\"";

// "path: cluster weight [lb] | canary rule" per route of a.com.
std::string RenderSplit(const TranslateResult& result) {
  std::vector<std::string> lines;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    if (vhost.name() != "a.com") continue;
    for (const auto& route : vhost.routes()) {
      std::string line = absl::StrCat(route.match().path(), ":");
      if (route.weighted_clusters().empty()) absl::StrAppend(&line, " ", route.cluster());
      for (const auto& weighted : route.weighted_clusters()) {
        absl::StrAppend(&line, " ", weighted.cluster(), " ", weighted.weight());
        if (weighted.load_balancing().ByteSizeLong() > 0) {
          absl::StrAppend(&line, " [", weighted.load_balancing().ShortDebugString(), "]");
        }
      }
      if (route.has_canary()) absl::StrAppend(&line, " | ", route.canary().ShortDebugString());
      lines.push_back(line);
    }
  }
  return absl::StrJoin(lines, "\n");
}

TranslateResult TranslateWith(const std::string& ingresses) {
  return Translate(World(absl::StrCat(kOurClass, kWebService, kServices, ingresses)), {});
}

TEST(CanaryTest, WeightSplitsThePrimarysRoute) {
  TranslateResult result = TranslateWith(absl::StrCat(
      PathIngress("main", 1, "", "web"),
      PathIngress("canary", 2,
                  absl::StrCat(kCanary, ", nginx.ingress.kubernetes.io/canary-weight: \"20\""),
                  "web-v2")));
  EXPECT_EQ(RenderSplit(result), "/: default/web:80 80 default/web-v2:80 20");
  EXPECT_EQ(RenderReports(result), "default/canary ACCEPTED\ndefault/main ACCEPTED");
}

TEST(CanaryTest, HeaderValueAndCookieRulesGoWithTheRoute) {
  TranslateResult result = TranslateWith(absl::StrCat(
      PathIngress("main", 1, "", "web", "/api"),
      PathIngress("canary", 2,
                  absl::StrCat(kCanary,
                               ", nginx.ingress.kubernetes.io/canary-by-header: X-Canary"
                               ", nginx.ingress.kubernetes.io/canary-by-header-value: v2"
                               ", nginx.ingress.kubernetes.io/canary-by-cookie: beta"
                               ", nginx.ingress.kubernetes.io/canary-weight: \"5\""
                               ", nginx.ingress.kubernetes.io/canary-weight-total: \"1000\""),
                  "web-v2", "/api")));
  EXPECT_EQ(RenderSplit(result),
            "/api: default/web:80 995 default/web-v2:80 5 | header: \"X-Canary\" "
            "header_value: \"v2\" cookie: \"beta\"");
}

TEST(CanaryTest, TheCanaryKeepsItsOwnBalancingAndThePrimarysFilters) {
  TranslateResult result = TranslateWith(absl::StrCat(
      PathIngress("main", 1, "nginx.ingress.kubernetes.io/load-balance: ewma", "web"),
      PathIngress("canary", 2,
                  absl::StrCat(kCanary,
                               ", nginx.ingress.kubernetes.io/upstream-hash-by: $remote_addr"
                               ", nginx.ingress.kubernetes.io/permanent-redirect: "
                               "https://elsewhere.test/"),
                  "web-v2")));
  EXPECT_EQ(RenderSplit(result),
            "/: default/web:80 100 [policy: LEAST_REQUEST] default/web-v2:80 0 [policy: "
            "CONSISTENT_HASH client_ip: true]");
  const auto& route = result.resources.route_configs[0].virtual_hosts(0).routes(0);
  for (const auto& filter : route.filters()) EXPECT_FALSE(filter.has_redirect());
}

TEST(CanaryTest, ACanaryWithoutItsPrimaryIsRefusedWithItsReason) {
  TranslateResult result = TranslateWith(
      absl::StrCat(PathIngress("main", 1, "", "web", "/app"),
                   PathIngress("lost", 2, kCanary, "web-v2", "/nowhere"),
                   PathIngress("same", 3, kCanary, "web", "/app"),
                   PathIngress("other-ns", 4, kCanary, "web-v2", "/app", "Prefix", "other"),
                   PathIngress("first", 5, kCanary, "web-v2", "/app"),
                   PathIngress("second", 6, kCanary, "web-v3", "/app"),
                   PathIngress("exact", 7, kCanary, "web-v3", "/app", "Exact")));
  EXPECT_EQ(RenderSplit(result), "/app: default/web:80 100 default/web-v2:80 0");
  EXPECT_EQ(RenderReports(result),
            "default/exact REJECTED\n"
            "  rules[0].http.paths[0]: canary: no Ingress serves Exact /app on host a.com; a "
            "canary needs a primary there\n"
            "default/first ACCEPTED\n"
            "default/lost REJECTED\n"
            "  rules[0].http.paths[0]: canary: no Ingress serves Prefix /nowhere on host a.com; a "
            "canary needs a primary there\n"
            "default/main ACCEPTED\n"
            "default/same REJECTED\n"
            "  rules[0].http.paths[0]: canary: Prefix /app on host a.com is not split: its "
            "backend default/web:80 is the primary's own\n"
            "default/second REJECTED\n"
            "  rules[0].http.paths[0]: canary: Prefix /app on host a.com is not split: the route "
            "already has the canary default/web-v2:80 (an older canary Ingress's)\n"
            "other/other-ns REJECTED\n"
            "  rules[0].http.paths[0]: canary: Prefix /app on host a.com is served by "
            "default/main, of another namespace; a canary must be in its primary's");
}

TEST(CanaryTest, ThePrimaryDecidesWhetherAPathIsARegex) {
  TranslateResult result = TranslateWith(absl::StrCat(
      PathIngress("main", 1, "nginx.ingress.kubernetes.io/use-regex: \"true\"", "web", "/v[0-9]+/",
                  "ImplementationSpecific"),
      PathIngress("canary", 2,
                  absl::StrCat(kCanary, ", nginx.ingress.kubernetes.io/canary-weight: \"50\""),
                  "web-v2", "/v[0-9]+/", "ImplementationSpecific")));
  EXPECT_EQ(RenderSplit(result), "/v[0-9]+/: default/web:80 50 default/web-v2:80 50");
}

TEST(CanaryTest, UnusableValuesAreReportedAndLeftOut) {
  TranslateResult result = TranslateWith(absl::StrCat(
      PathIngress("main", 1, "nginx.ingress.kubernetes.io/canary-weight: \"10\"", "web"),
      PathIngress("canary", 2,
                  absl::StrCat(kCanary,
                               ", nginx.ingress.kubernetes.io/canary-weight: abc"
                               ", nginx.ingress.kubernetes.io/canary-by-header: \"X Bad\""
                               ", nginx.ingress.kubernetes.io/canary-by-header-value: v2"
                               ", nginx.ingress.kubernetes.io/canary-by-cookie: ok"),
                  "web-v2"),
      PathIngress("main2", 3, "", "web", "/two"),
      PathIngress("canary2", 4,
                  absl::StrCat(kCanary,
                               ", nginx.ingress.kubernetes.io/canary-weight: \"150\""
                               ", nginx.ingress.kubernetes.io/canary-by-header: X-Canary"
                               ", nginx.ingress.kubernetes.io/canary-by-header-pattern: \"(\""),
                  "web-v2", "/two")));
  EXPECT_EQ(RenderSplit(result),
            "/two: default/web:80 0 default/web-v2:80 100 | header: \"X-Canary\"\n"
            "/: default/web:80 100 default/web-v2:80 0 | cookie: \"ok\"");
  EXPECT_EQ(RenderReports(result),
            "default/canary PARTLY_ACCEPTED\n"
            "  annotation nginx.ingress.kubernetes.io/canary-weight: \"abc\" is not a whole number "
            "from 0 to 1000000; using 0\n"
            "  annotation nginx.ingress.kubernetes.io/canary-by-header: \"X Bad\" is not a header "
            "name; left out\n"
            "  annotation nginx.ingress.kubernetes.io/canary-by-header-value: set without a usable "
            "canary-by-header; ignored\n"
            "default/canary2 PARTLY_ACCEPTED\n"
            "  annotation nginx.ingress.kubernetes.io/canary-by-header-pattern: header regex \"(\" "
            "does not compile: \"missing ): (\"; left out\n"
            "default/main PARTLY_ACCEPTED\n"
            "  annotation nginx.ingress.kubernetes.io/canary-weight: set, but "
            "nginx.ingress.kubernetes.io/canary is not \"true\"; ignored\n"
            "default/main2 ACCEPTED");
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
