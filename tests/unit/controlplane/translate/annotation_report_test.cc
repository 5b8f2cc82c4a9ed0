// The migration report: every annotation an Ingress carries under either prefix gets a status
// and a reason, from what the translation did with it and from the catalog of every annotation
// ingress-nginx documents (its annotations page, controller-v1.15.1), which docs/annotations.md
// shows as a table.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "controlplane/translate/annotation_catalog.h"
#include "controlplane/translate/snippet_advice.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

std::string Site(absl::string_view name, absl::string_view host, absl::string_view annotations,
                 absl::string_view path = "/", absl::string_view type = "Prefix") {
  return Ingress(name, absl::StrCat("annotations: {", annotations, "}"),
                 absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: ", host,
                              ", http: {paths: [{path: \"", path, "\", pathType: ", type,
                              ", backend: ", kBackendWeb, "}]}}]"));
}

// "ns/name: key outcome (reason)" per annotation, then "ns/name: difference" per difference.
std::vector<std::string> RenderAnnotations(const TranslateResult& result) {
  std::vector<std::string> lines;
  for (const IngressReport& report : result.reports) {
    for (const AnnotationStatus& status : report.annotations) {
      lines.push_back(absl::StrCat(report.Key(), ": ", status.key, " ", OutcomeName(status.outcome),
                                   " (", status.reason, ")"));
    }
    for (const std::string& difference : report.differences) {
      lines.push_back(absl::StrCat(report.Key(), ": ", difference));
    }
  }
  return lines;
}

TEST(AnnotationReportTest, EveryAnnotationGetsAStatusAndAReason) {
  TranslateResult result =
      Translate(World(absl::StrCat(
                    kOurClass, kWebService,
                    Site("mixed", "a.test",
                         "nginx.ingress.kubernetes.io/app-root: /app, "
                         "nginx.ingress.kubernetes.io/affinity-mode: persistent, "
                         "nginx.ingress.kubernetes.io/proxy-buffering: \"off\", "
                         "nginx.ingress.kubernetes.io/permanent-redirect: \"https://b.test/\", "
                         "nginx.ingress.kubernetes.io/permanent-redirect-code: \"999\", "
                         "nginx.ingress.kubernetes.io/proxy-body-size: 1m, "
                         "gatehouse.dev/proxy-body-size: 2m, "
                         "nginx.ingress.kubernetes.io/typo-annotaton: x, "
                         "gatehouse.dev/response-headers: \"X-A: b\", "
                         "cert-manager.io/cluster-issuer: letsencrypt"),
                    Site("canary", "a.test",
                         "nginx.ingress.kubernetes.io/canary: \"true\", "
                         "nginx.ingress.kubernetes.io/canary-weight: \"5\", "
                         "nginx.ingress.kubernetes.io/canary-weight-total: \"10\", "
                         "nginx.ingress.kubernetes.io/app-root: /other, "
                         "nginx.ingress.kubernetes.io/load-balance: ewma"))),
                {});
  EXPECT_THAT(
      RenderAnnotations(result),
      ::testing::ElementsAre(
          "default/canary: nginx.ingress.kubernetes.io/app-root ignored (a canary Ingress takes "
          "this from its primary, as in ingress-nginx)",
          "default/canary: nginx.ingress.kubernetes.io/canary applied (" +
              std::string(FindAnnotationInfo("canary")->note) + ")",
          "default/canary: nginx.ingress.kubernetes.io/canary-weight applied (" +
              std::string(FindAnnotationInfo("canary-weight")->note) + ")",
          "default/canary: nginx.ingress.kubernetes.io/canary-weight-total differs (the total "
          "is 10 as written; ingress-nginx's balancer counts totals below 100 as 100)",
          "default/canary: nginx.ingress.kubernetes.io/load-balance differs (" +
              std::string(FindAnnotationInfo("load-balance")->note) + ")",
          "default/mixed: gatehouse.dev/proxy-body-size applied (" +
              std::string(FindAnnotationInfo("proxy-body-size")->note) + ")",
          "default/mixed: gatehouse.dev/response-headers applied (Gatehouse's own annotation)",
          "default/mixed: nginx.ingress.kubernetes.io/affinity-mode ignored (" +
              std::string(FindAnnotationInfo("affinity-mode")->note) + ")",
          "default/mixed: nginx.ingress.kubernetes.io/app-root applied (" +
              std::string(FindAnnotationInfo("app-root")->note) + ")",
          "default/mixed: nginx.ingress.kubernetes.io/permanent-redirect applied (" +
              std::string(FindAnnotationInfo("permanent-redirect")->note) + ")",
          "default/mixed: nginx.ingress.kubernetes.io/permanent-redirect-code refused "
          "(annotation nginx.ingress.kubernetes.io/permanent-redirect-code: \"999\" is not a "
          "redirect code from 300 to 308; using 301)",
          "default/mixed: nginx.ingress.kubernetes.io/proxy-body-size ignored "
          "(gatehouse.dev/proxy-body-size is set too, and wins)",
          "default/mixed: nginx.ingress.kubernetes.io/proxy-buffering not needed (" +
              std::string(FindAnnotationInfo("proxy-buffering")->note) + ")",
          "default/mixed: nginx.ingress.kubernetes.io/typo-annotaton ignored (not an annotation "
          "ingress-nginx documents or Gatehouse reads; check its spelling)"));
  // Annotations that are not honoured count against the Ingress.
  for (const IngressReport& report : result.reports) {
    EXPECT_EQ(report.NotHonoured(), report.name == "mixed" ? 4u : 1u) << report.name;
  }
}

// ingress-nginx makes every path of a host a regex when one Ingress on it sets use-regex;
// Gatehouse does not, and says so on each Ingress where that changes a match.
TEST(AnnotationReportTest, TheRegexScopeDifferenceIsReportedWhereItChangesAMatch) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService,
          Site("regex", "r.test", "nginx.ingress.kubernetes.io/use-regex: \"true\"", "/v[0-9]+",
               "ImplementationSpecific"),
          Site("prefix", "r.test", "", "/docs"), Site("exact", "r.test", "", "/e", "Exact"),
          Site("root", "r.test", "", "/", "Prefix"), Site("elsewhere", "other.test", "", "/docs"))),
      {});
  EXPECT_THAT(RenderAnnotations(result),
              ::testing::ElementsAre(
                  "default/prefix: rules[0].http.paths[0]: ingress-nginx would match Prefix "
                  "\"/docs\" as a case-insensitive regex (so also longer paths that merely start "
                  "with it), because default/regex on host r.test sets use-regex or "
                  "rewrite-target; Gatehouse keeps that to the Ingress that asks and matches "
                  "this path as written",
                  "default/regex: nginx.ingress.kubernetes.io/use-regex differs (" +
                      std::string(FindAnnotationInfo("use-regex")->note) + ")"));
}

TEST(SnippetAdviceTest, CommonDirectivesNameTheirReplacement) {
  EXPECT_THAT(
      SnippetAdvice("more_set_headers \"X-Frame-Options: DENY\";\n"
                    "add_header Cache-Control \"no-store\" always; # a comment; not a directive\n"
                    "proxy_set_header X-Real-Host $host;\n"
                    "return 308 https://example.com$request_uri;\n"
                    "if ($http_user_agent ~ bot) { return 403; }\n"
                    "more_clear_headers Server;"),
      ::testing::ElementsAre(
          "\"more_set_headers \\\"X-Frame-Options: DENY\\\"\": use gatehouse.dev/response-headers "
          "with \"X-Frame-Options: DENY\"",
          "\"add_header Cache-Control \\\"no-store\\\" always\": use "
          "gatehouse.dev/response-headers with \"Cache-Control: no-store\"",
          "\"proxy_set_header X-Real-Host $host\": use gatehouse.dev/request-headers with "
          "\"X-Real-Host: $host\" (nginx variables are not expanded there)",
          "\"return 308 https://example.com$request_uri\": use permanent-redirect (with "
          "permanent-redirect-code 308)",
          "\"if ($http_user_agent ~ bot)\": no equivalent", "\"return 403\": no equivalent",
          "\"more_clear_headers Server\": no equivalent"));
  std::string many;
  for (int i = 0; i < 40; ++i) absl::StrAppend(&many, "gzip on;");
  std::vector<std::string> advice = SnippetAdvice(many);
  ASSERT_EQ(advice.size(), kMaxAdvisedDirectives + 1);
  EXPECT_EQ(advice.back(), "and 24 more directives");
}

// docs/annotations.md's table of every ingress-nginx annotation says what the catalog says.
TEST(AnnotationCatalogTest, TheDocumentedTableIsTheCatalog) {
  std::ifstream file(std::string(GATEHOUSE_DOCS_DIR) + "/annotations.md");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  std::vector<std::string> documented;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (!absl::StartsWith(line, "| `")) continue;
    std::vector<absl::string_view> cells = absl::StrSplit(line, " | ");
    if (cells.size() != 3) continue;  // the summary table's rows have links and three cells too
    absl::string_view name = cells[0];
    if (!absl::ConsumePrefix(&name, "| `") || !absl::ConsumeSuffix(&name, "`")) continue;
    absl::string_view note = cells[2];
    absl::ConsumeSuffix(&note, " |");
    documented.push_back(absl::StrCat(name, " | ", cells[1], " | ", note));
  }
  std::vector<std::string> catalog;
  const char* words[] = {"applied", "differs", "ignored", "not needed", "refused"};
  for (const AnnotationInfo& info : AnnotationCatalog()) {
    catalog.push_back(
        absl::StrCat(info.name, " | ", words[static_cast<int>(info.support)], " | ", info.note));
    EXPECT_EQ(FindAnnotationInfo(info.name), &info) << info.name;
  }
  // ingress-nginx's 130, and allowlist-source-range and limit-allowlist, the newer names of
  // whitelist-source-range and limit-whitelist.
  EXPECT_EQ(catalog.size(), 132u);
  EXPECT_EQ(documented, catalog);
  EXPECT_EQ(FindAnnotationInfo("no-such-annotation"), nullptr);
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
