// ssl-passthrough, as ingress-nginx's annotations documentation ("SSL Passthrough") and its
// controller define it: only with --enable-ssl-passthrough; each exact host of the Ingress goes,
// by SNI, to the backend of its "/" path; the other annotations no longer apply.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

constexpr absl::string_view kPassthrough = "nginx.ingress.kubernetes.io/ssl-passthrough";

std::string Vault(absl::string_view name, absl::string_view value, absl::string_view rules) {
  return Ingress(name,
                 absl::StrCat("annotations: {", kPassthrough, ": \"", value,
                              "\", nginx.ingress.kubernetes.io/backend-protocol: HTTPS}"),
                 absl::StrCat("  ingressClassName: gatehouse\n  rules: ", rules));
}

std::string Rule(absl::string_view host, absl::string_view path) {
  return absl::StrCat("{host: \"", host, "\", http: {paths: [{path: ", path,
                      ", pathType: Prefix, backend: ", kBackendWeb, "}]}}");
}

// The https listener's passthrough hosts, "host=cluster" each.
std::string Passthrough(const TranslateResult& result) {
  std::string out;
  for (const auto& listener : result.resources.listeners) {
    for (const auto& entry : listener.passthrough()) {
      absl::StrAppend(&out, out.empty() ? "" : " ", entry.server_name(), "=", entry.cluster());
    }
  }
  return out;
}

const AnnotationStatus* StatusOf(const TranslateResult& result, absl::string_view ingress,
                                 absl::string_view key) {
  for (const IngressReport& report : result.reports) {
    if (report.name != ingress) continue;
    for (const AnnotationStatus& status : report.annotations) {
      if (status.key == key) return &status;
    }
  }
  return nullptr;
}

TEST(TranslatePassthroughTest, EachExactHostGoesToItsRootPathsBackend) {
  std::string world = absl::StrCat(
      kOurClass, kWebService,
      Vault("vault", "true",
            absl::StrCat("[", Rule("Vault.test", "/"), ", ", Rule("*.vault.test", "/"), ", ",
                         "{host: api.vault.test, http: {paths: [{path: /ui, pathType: Prefix, "
                         "backend: ",
                         kBackendWeb, "}, {path: /, pathType: Prefix, backend: ", kBackendWeb,
                         "}]}}]")),
      Vault("young", "true", absl::StrCat("[", Rule("vault.test", "/"), "]")));
  TranslateOptions options;
  options.enable_ssl_passthrough = true;
  TranslateResult result = Translate(World(world), options);
  EXPECT_EQ(Passthrough(result), "api.vault.test=default/web:80 vault.test=default/web:80");
  // No HTTP route: the connections go on as they are.
  EXPECT_EQ(result.resources.route_configs[0].virtual_hosts_size(), 0);
  EXPECT_EQ(RenderReports(result),
            "default/vault PARTLY_ACCEPTED\n"
            "  rules[1]: ssl-passthrough needs an exact host, as clients name it in SNI; "
            "\"*.vault.test\" is not one, so it is not served\n"
            "  rules[2].paths[0]: ssl-passthrough passes the \"/\" path's backend through, "
            "alone; path \"/ui\" is not served\n"
            "default/young REJECTED\n"
            "  host vault.test is passed through already by default/vault (older)");
  const AnnotationStatus* applied = StatusOf(result, "vault", kPassthrough);
  ASSERT_NE(applied, nullptr);
  EXPECT_EQ(applied->outcome, AnnotationStatus::Outcome::kDiffers);
  const AnnotationStatus* other =
      StatusOf(result, "vault", "nginx.ingress.kubernetes.io/backend-protocol");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->outcome, AnnotationStatus::Outcome::kIgnored);
  EXPECT_THAT(other->reason, testing::HasSubstr("no HTTP annotation applies"));
}

TEST(TranslatePassthroughTest, WithoutTheFlagTheIngressIsServedAsAnyOther) {
  std::string world =
      absl::StrCat(kOurClass, kWebService,
                   Vault("vault", "true", absl::StrCat("[", Rule("vault.test", "/"), "]")),
                   Vault("typo", "yes", absl::StrCat("[", Rule("typo.test", "/"), "]")));
  TranslateResult result = Translate(World(world), {});
  EXPECT_EQ(Passthrough(result), "");
  EXPECT_EQ(result.resources.route_configs[0].virtual_hosts_size(), 2);
  const AnnotationStatus* ignored = StatusOf(result, "vault", kPassthrough);
  ASSERT_NE(ignored, nullptr);
  EXPECT_EQ(ignored->outcome, AnnotationStatus::Outcome::kIgnored);
  EXPECT_THAT(ignored->reason, testing::HasSubstr("without --enable-ssl-passthrough"));
  const AnnotationStatus* refused = StatusOf(result, "typo", kPassthrough);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->outcome, AnnotationStatus::Outcome::kRefused);
  EXPECT_EQ(StatusOf(result, "vault", "nginx.ingress.kubernetes.io/backend-protocol")->outcome,
            AnnotationStatus::Outcome::kDiffers);
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
