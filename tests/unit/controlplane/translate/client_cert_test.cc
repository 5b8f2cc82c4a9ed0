// auth-tls-*, as ingress-nginx's annotations documentation ("Client Certificate
// Authentication") and its code (internal/ingress/annotations/authtls) define them:
// auth-tls-secret names a Secret ("namespace/name") whose ca.crt holds the CAs;
// auth-tls-verify-client is on (the default), off, optional or optional_no_ca;
// auth-tls-verify-depth defaults to 1; auth-tls-error-page is where a failed check goes;
// auth-tls-pass-certificate-to-upstream sends the certificate upstream; auth-tls-match-cn starts
// with "CN=" and is a regex the certificate's subject must match; a ca.crl key in the Secret holds
// revocation lists (nginx's ssl_crl). nginx applies them to the
// whole server (host). Here a Secret of another namespace is refused and never looked up, and a
// Secret that cannot be used answers 503 rather than serving the host unchecked.
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

using testing::HasSubstr;
using testing::Not;

std::string ReadTestdata(const std::string& file) {
  std::ifstream in(std::string(GATEHOUSE_TLS_TESTDATA) + "/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ReadCa() { return ReadTestdata("client_ca.crt"); }

// A Secret with a CA bundle and revocation lists.
std::string CrlSecret(absl::string_view name, const std::string& ca, const std::string& crl) {
  return absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: ", name,
                      ", namespace: default}\ntype: Opaque\nstringData:\n  ca.crt: |\n    ",
                      absl::StrReplaceAll(ca, {{"\n", "\n    "}}), "\n  ca.crl: |\n    ",
                      absl::StrReplaceAll(crl, {{"\n", "\n    "}}), "\n---\n");
}

std::string CaSecret(absl::string_view name, absl::string_view ns, const std::string& ca) {
  return absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: ", name, ", namespace: ", ns,
                      "}\ntype: Opaque\nstringData:\n  ca.crt: |\n    ",
                      absl::StrReplaceAll(ca, {{"\n", "\n    "}}), "\n---\n");
}

std::string Tls(absl::string_view more = "") {
  return absl::StrCat("nginx.ingress.kubernetes.io/auth-tls-secret: default/ca",
                      more.empty() ? "" : ", ", more);
}

std::string Site(absl::string_view name, absl::string_view host, absl::string_view annotations,
                 absl::string_view path = "/", absl::string_view created = "") {
  return Ingress(
      name,
      absl::StrCat(created.empty() ? "" : absl::StrCat("creationTimestamp: \"", created, "\", "),
                   "annotations: {", annotations, "}"),
      absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: \"", host,
                   "\", http: {paths: [{path: ", path, ", pathType: Prefix, backend: ", kBackendWeb,
                   "}]}}]"));
}

// Each host's client-certificate filter: "VALIDATION MODE [page=URL] [pass]", "deny", or "none".
std::map<std::string, std::string> CheckByHost(const TranslateResult& result) {
  return FilterByHost(result, [](const gatehouse::v1::Filter& filter) -> std::string {
    if (!filter.has_client_certificate()) return "";
    const gatehouse::v1::ClientCertificate& check = filter.client_certificate();
    if (check.deny()) return "deny";
    // The name ends in the CA bundle's digest: " ca HEX".
    std::string validation = check.validation();
    EXPECT_THAT(validation, testing::MatchesRegex(".* ca [0-9a-f]{16}"));
    validation = validation.substr(0, validation.rfind(" ca "));
    return absl::StrCat(validation, " ", gatehouse::v1::ClientCertificate::Mode_Name(check.mode()),
                        check.error_page().empty() ? "" : " page=" + check.error_page(),
                        check.pass_certificate() ? " pass" : "",
                        check.subject_match().empty() ? "" : " match=" + check.subject_match());
  });
}

// The https listener's validations: "NAME: names=a,b", the name without the CA digest it ends in.
std::vector<std::string> Validations(const TranslateResult& result) {
  std::vector<std::string> out;
  for (const auto& listener : result.resources.listeners) {
    for (const auto& validation : listener.client_validations()) {
      EXPECT_EQ(listener.name(), "https");
      EXPECT_THAT(validation.trusted_ca(), HasSubstr("BEGIN CERTIFICATE"));
      std::string name = validation.name();
      EXPECT_THAT(name, testing::MatchesRegex(absl::StrCat(
                            "default/ca depth ", validation.verify_depth(), " ca [0-9a-f]{16}")));
      out.push_back(absl::StrCat(name.substr(0, name.rfind(" ca ")),
                                 ": names=", absl::StrJoin(validation.server_names(), ",")));
    }
  }
  return out;
}

const std::string kCa = CaSecret("ca", "default", ReadCa());

TEST(TranslateClientCertTest, TheSettingsBecomeAHostFilterAndAListenerValidation) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kCa, Site("strict", "strict.test", Tls()),
          Site("relaxed", "relaxed.test",
               Tls("nginx.ingress.kubernetes.io/auth-tls-verify-client: optional_no_ca, "
                   "nginx.ingress.kubernetes.io/auth-tls-verify-depth: \"2\", "
                   "nginx.ingress.kubernetes.io/auth-tls-error-page: "
                   "\"https://help.example/cert\", "
                   "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream: \"true\"")),
          Site("wild", "*.wild.test",
               Tls("nginx.ingress.kubernetes.io/auth-tls-verify-client: optional, "
                   "nginx.ingress.kubernetes.io/server-alias: also.test")),
          Site("off", "off.test", Tls("nginx.ingress.kubernetes.io/auth-tls-verify-client: off")),
          Site("plain", "plain.test", ""))),
      {});
  std::map<std::string, std::string> checks = CheckByHost(result);
  EXPECT_EQ(checks["strict.test"], "default/ca depth 1 ON");
  EXPECT_EQ(checks["relaxed.test"],
            "default/ca depth 2 OPTIONAL_NO_CA page=https://help.example/cert pass");
  EXPECT_EQ(checks["*.wild.test"], "default/ca depth 1 OPTIONAL");
  EXPECT_EQ(checks["off.test"], "none");
  EXPECT_EQ(checks["plain.test"], "none");
  EXPECT_THAT(Validations(result),
              testing::ElementsAre("default/ca depth 1: names=*.wild.test,also.test,strict.test",
                                   "default/ca depth 2: names=relaxed.test"));
  EXPECT_THAT(RenderReports(result), Not(HasSubstr("auth-tls")));
}

TEST(TranslateClientCertTest, TheCheckComesFirstInEveryRouteOfTheHost) {
  // As nginx's ssl_verify_client is the server's: a younger Ingress's paths on the host are
  // checked too, by the older one's settings.
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService, kCa,
                         Site("owner", "shared.test", Tls(), "/", "2026-01-01T00:00:00Z"),
                         Site("younger", "shared.test", "", "/api", "2026-02-01T00:00:00Z"))),
      {});
  const auto& vhost = result.resources.route_configs[0].virtual_hosts(0);
  ASSERT_EQ(vhost.name(), "shared.test");
  ASSERT_EQ(vhost.routes_size(), 2);
  for (const auto& route : vhost.routes()) {
    ASSERT_GT(route.filters_size(), 0);
    // After the HTTPS redirect and HSTS a certificate brings, and before everything else.
    bool seen = false;
    for (const auto& filter : route.filters()) {
      if (filter.has_client_certificate()) seen = true;
      if (!seen) {
        EXPECT_TRUE(filter.has_https_redirect() || filter.has_strict_transport_security())
            << filter.DebugString();
      }
    }
    EXPECT_TRUE(seen);
  }
  bool host_default = false;
  for (const auto& filter : vhost.filters()) host_default |= filter.has_client_certificate();
  EXPECT_TRUE(host_default) << "a request matching no route is checked too";
}

TEST(TranslateClientCertTest, AYoungerIngressWithOtherSettingsForTheHostIsTold) {
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService, kCa,
                         Site("owner", "shared.test", Tls(), "/", "2026-01-01T00:00:00Z"),
                         Site("same", "shared.test", Tls(), "/same", "2026-02-01T00:00:00Z"),
                         Site("other", "shared.test",
                              Tls("nginx.ingress.kubernetes.io/auth-tls-verify-client: "
                                  "optional"),
                              "/other", "2026-03-01T00:00:00Z"))),
      {});
  EXPECT_EQ(CheckByHost(result)["shared.test"], "default/ca depth 1 ON");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("default/other PARTLY_ACCEPTED\n  auth-tls-*: host shared.test "
                                 "already has the client-certificate settings of default/owner "
                                 "(older); these are not applied"));
  EXPECT_THAT(reports, Not(HasSubstr("default/same PARTLY")));
}

TEST(TranslateClientCertTest, ASecretThatCannotBeUsedDeniesTheHost) {
  TranslateResult result =
      Translate(World(absl::StrCat(
                    kOurClass, kWebService, kCa, CaSecret("broken", "default", "not a certificate"),
                    CaSecret("ca", "other", ReadCa()),
                    Site("missing", "missing.test",
                         "nginx.ingress.kubernetes.io/auth-tls-secret: default/nothing"),
                    Site("broken", "broken.test",
                         "nginx.ingress.kubernetes.io/auth-tls-secret: default/broken"),
                    Site("foreign", "foreign.test",
                         "nginx.ingress.kubernetes.io/auth-tls-secret: other/ca"))),
                {});
  std::map<std::string, std::string> checks = CheckByHost(result);
  EXPECT_EQ(checks["missing.test"], "deny");
  EXPECT_EQ(checks["broken.test"], "deny");
  EXPECT_EQ(checks["foreign.test"], "deny");
  EXPECT_TRUE(Validations(result).empty());
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("auth-tls-secret: secret default/nothing does not exist; every "
                                 "request to the Ingress's hosts gets 503 until it is mended"));
  EXPECT_THAT(reports, HasSubstr("auth-tls-secret: secret default/broken ca.crt: the CA bundle "
                                 "holds no PEM certificate"));
  EXPECT_THAT(reports, HasSubstr("auth-tls-secret: \"other/ca\" is not a Secret name in the "
                                 "Ingress's namespace"));
}

TEST(TranslateClientCertTest, ANewCaBundleIsANewValidation) {
  // A connection checked against the old bundle is not the new one's (its requests get 421).
  auto name = [](const std::string& ca) {
    TranslateResult result =
        Translate(World(absl::StrCat(kOurClass, kWebService, CaSecret("ca", "default", ca),
                                     Site("strict", "strict.test", Tls()))),
                  {});
    return result.resources.listeners[1].client_validations(0).name();
  };
  std::string one = ReadCa();
  EXPECT_EQ(name(one), name(one));
  EXPECT_NE(name(one), name(one + one));
}

TEST(TranslateClientCertTest, ExactHostsUnderACheckedWildcardAskForNothingUnlessTheyCheck) {
  // nginx picks the exact server_name over the wildcard, and with it that server's
  // ssl_verify_client: a host of its own under a checked wildcard asks for no certificate.
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService, kCa, Site("all", "*.corp.test", Tls()),
                         Site("open", "open.corp.test", ""), Site("team", "team.corp.test", Tls()),
                         Site("elsewhere", "open.other.test", ""))),
      {});
  const auto& https = result.resources.listeners[1];
  EXPECT_THAT(std::vector<std::string>(https.unchecked_server_names().begin(),
                                       https.unchecked_server_names().end()),
              testing::ElementsAre("open.corp.test"));
  EXPECT_EQ(CheckByHost(result)["open.corp.test"], "none");
}

TEST(TranslateClientCertTest, RevocationListsGoToTheValidation) {
  std::string ca = ReadTestdata("crl_ca.crt");
  std::string crl = ReadTestdata("crl_ca.crl");
  auto translate = [&](const std::string& lists) {
    return Translate(World(absl::StrCat(kOurClass, kWebService, CrlSecret("crl", ca, lists),
                                        Site("revoking", "revoking.test",
                                             "nginx.ingress.kubernetes.io/auth-tls-secret: "
                                             "default/crl"))),
                     {});
  };
  TranslateResult result = translate(crl);
  EXPECT_EQ(CheckByHost(result)["revoking.test"], "default/crl depth 1 ON");
  ASSERT_EQ(result.resources.listeners[1].client_validations_size(), 1);
  const auto& validation = result.resources.listeners[1].client_validations(0);
  EXPECT_EQ(validation.crl(), crl);
  EXPECT_EQ(validation.trusted_ca(), ca);
  // New lists, a new validation: open connections are checked again.
  TranslateResult twice = translate(crl + crl);
  EXPECT_NE(twice.resources.listeners[1].client_validations(0).name(), validation.name());
  EXPECT_EQ(RenderReports(twice).find("auth-tls"), std::string::npos) << RenderReports(twice);
}

TEST(TranslateClientCertTest, TheSubjectPatternIsCheckedAsTheDataPlaneCompilesIt) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kCa,
          Site("cn", "cn.test",
               Tls("nginx.ingress.kubernetes.io/auth-tls-match-cn: \"CN=(alice|bob)(,|$)\"")),
          Site("bare", "bare.test", Tls("nginx.ingress.kubernetes.io/auth-tls-match-cn: alice")),
          Site("broken", "broken.test",
               Tls("nginx.ingress.kubernetes.io/auth-tls-match-cn: \"CN=(alice\"")),
          Site("costly", "costly.test",
               Tls("nginx.ingress.kubernetes.io/auth-tls-match-cn: \"CN=a{1000}\"")))),
      {});
  std::map<std::string, std::string> checks = CheckByHost(result);
  EXPECT_EQ(checks["cn.test"], "default/ca depth 1 ON match=CN=(alice|bob)(,|$)");
  EXPECT_EQ(checks["bare.test"], "deny");
  EXPECT_EQ(checks["broken.test"], "deny");
  EXPECT_EQ(checks["costly.test"], "deny");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("auth-tls-match-cn: \"alice\" does not start with CN=; every "
                                 "request to the Ingress's hosts gets 503"));
  EXPECT_THAT(reports, HasSubstr("auth-tls-match-cn: \"CN=(alice\" is not a usable regex"));
  EXPECT_THAT(reports, HasSubstr("auth-tls-match-cn: \"CN=a{1000}\" is not a usable regex"));
}

TEST(TranslateClientCertTest, WhatCannotBeCheckedIsRefusedNotServedUnchecked) {
  TranslateResult result =
      Translate(World(absl::StrCat(kOurClass, kWebService, kCa, CrlSecret("crl", ReadCa(), "x"),
                                   Site("revoking", "revoking.test",
                                        "nginx.ingress.kubernetes.io/auth-tls-secret: default/crl"),
                                   Site("hostless", "", Tls(), "/hostless"),
                                   Site("neighbour", "", "", "/neighbour"))),
                {});
  std::map<std::string, std::string> checks = CheckByHost(result);
  EXPECT_EQ(checks["revoking.test"], "deny");
  // Rules without a host: this Ingress's paths are refused; the others' on "*" are not.
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    if (vhost.name() != "*") continue;
    ASSERT_EQ(vhost.routes_size(), 2);
    for (const auto& route : vhost.routes()) {
      bool denied = route.filters_size() > 0 && route.filters(0).has_client_certificate() &&
                    route.filters(0).client_certificate().deny();
      EXPECT_EQ(denied, route.match().path() == "/hostless") << route.DebugString();
    }
  }
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("auth-tls-secret: secret default/crl ca.crt or ca.crl: the CRL "
                                 "holds no PEM revocation list"));
  EXPECT_THAT(reports, HasSubstr("rules without a host cannot ask for a client certificate"));
}

TEST(TranslateClientCertTest, BadValuesAreReportedAndTheSafeDefaultApplies) {
  TranslateResult result =
      Translate(World(absl::StrCat(
                    kOurClass, kWebService, kCa,
                    Site("odd", "odd.test",
                         Tls("nginx.ingress.kubernetes.io/auth-tls-verify-client: sometimes, "
                             "nginx.ingress.kubernetes.io/auth-tls-verify-depth: \"0\", "
                             "nginx.ingress.kubernetes.io/auth-tls-error-page: \"/relative\"")),
                    Site("lonely", "lonely.test",
                         "nginx.ingress.kubernetes.io/auth-tls-verify-client: optional"))),
                {});
  EXPECT_EQ(CheckByHost(result)["odd.test"], "default/ca depth 1 ON");
  EXPECT_EQ(CheckByHost(result)["lonely.test"], "none");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("auth-tls-verify-client: \"sometimes\" is not on, off, optional "
                                 "or optional_no_ca; using on"));
  EXPECT_THAT(reports, HasSubstr("auth-tls-verify-depth: \"0\" is not a whole number from 1 to "
                                 "10; using 1"));
  EXPECT_THAT(reports, HasSubstr("auth-tls-error-page: \"/relative\" is not an absolute http(s) "
                                 "URL"));
  EXPECT_THAT(reports, HasSubstr("auth-tls-verify-client: no auth-tls-secret to apply it to"));
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
