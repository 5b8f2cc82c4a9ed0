// auth-type basic, as ingress-nginx's annotations documentation ("Authentication") and its code
// (internal/ingress/annotations/auth) define it: auth-type is basic or digest, and without it no
// authentication applies; auth-secret names a Secret ("namespace/name" or a name in the
// Ingress's namespace) whose key "auth" holds htpasswd lines (auth-secret-type auth-file, the
// default) or whose keys are users and values their hashes (auth-map); auth-realm is the realm.
// Any error there denies the location (503). Here digest is refused, and so is a Secret of
// another namespace, which is never looked up.
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

constexpr absl::string_view kApr1 = "$apr1$Xy9sQ3ab$staTRWA/PZZOAPU1NcraH.";
constexpr absl::string_view kBcrypt =
    "$2y$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.";

std::string Site(absl::string_view name, absl::string_view annotations) {
  return AnnotatedSite(name, absl::StrCat(name, ".test"), annotations);
}

std::string Auth(absl::string_view type, absl::string_view secret, absl::string_view more = "") {
  std::string out;
  if (!type.empty()) absl::StrAppend(&out, "nginx.ingress.kubernetes.io/auth-type: ", type);
  if (!secret.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", "nginx.ingress.kubernetes.io/auth-secret: \"",
                    secret, "\"");
  }
  if (!more.empty()) absl::StrAppend(&out, ", ", more);
  return out;
}

std::string SecretYaml(absl::string_view name, absl::string_view ns, absl::string_view entries) {
  return absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: ", name,
                      ns.empty() ? "" : absl::StrCat(", namespace: ", ns),
                      "}\ntype: Opaque\nstringData:\n", entries, "\n---\n");
}

// Each virtual host's basic-auth filter: "realm=R users=a,b [deny]", or "none".
std::map<std::string, std::string> AuthByHost(const TranslateResult& result) {
  return FilterByHost(result, [](const gatehouse::v1::Filter& filter) -> std::string {
    if (!filter.has_basic_auth()) return "";
    const gatehouse::v1::BasicAuth& auth = filter.basic_auth();
    std::vector<std::string> users;
    for (const auto& user : auth.users()) users.push_back(user.name());
    return absl::StrCat("realm=", auth.realm(), " users=", absl::StrJoin(users, ","),
                        auth.deny() ? " deny" : "");
  });
}

const std::string kHtpasswdSecret = SecretYaml(
    "staff", "",
    absl::StrCat("  auth: |\n    # made by htpasswd\n    bob:", kBcrypt, "\n    alice:", kApr1,
                 "\n    carol:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=\n    dave:abJnggxhB/yWI\n"
                 "    erin:plaintext\n"));

TEST(TranslateBasicAuthTest, AnAuthFileSecretBecomesTheRoutesUsers) {
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService, kHtpasswdSecret,
                         Site("file", Auth("basic", "staff",
                                           "nginx.ingress.kubernetes.io/auth-realm: \"Staff "
                                           "only\"")),
                         Site("qualified", Auth("basic", "default/staff")))),
      {});
  std::map<std::string, std::string> auth = AuthByHost(result);
  EXPECT_EQ(auth["file.test"], "realm=Staff only users=alice,bob,carol");
  EXPECT_EQ(auth["qualified.test"], "realm= users=alice,bob,carol");
  std::string reports = RenderReports(result);
  // The DES and plain-text lines are left out, each said by its line.
  EXPECT_THAT(reports, HasSubstr("auth-secret: Secret default/staff: line 5: a crypt(3) DES hash "
                                 "(htpasswd -d), of which only 8 characters of a password count; "
                                 "use bcrypt (htpasswd -B); left out"));
  EXPECT_THAT(reports, HasSubstr("line 6: not a hash htpasswd makes"));
  // After the IP lists and before the headers that go upstream, as nginx's access phase.
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    if (vhost.name() != "file.test") continue;
    const auto& filters = vhost.routes(0).filters();
    ASSERT_GE(filters.size(), 2);
    EXPECT_TRUE(filters[0].has_basic_auth());
    EXPECT_TRUE(filters[1].has_forwarding_headers());
    EXPECT_EQ(filters[0].basic_auth().users(0).hash(), kApr1);
  }
}

TEST(TranslateBasicAuthTest, AnAuthMapSecretIsOneHashPerUser) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService,
          SecretYaml("map", "",
                     absl::StrCat("  frank: \"", kApr1, "\"\n  grace: \"", kBcrypt,
                                  "\"\n  heidi: cleartext")),
          Site("map",
               Auth("basic", "map", "nginx.ingress.kubernetes.io/auth-secret-type: auth-map")))),
      {});
  EXPECT_EQ(AuthByHost(result)["map.test"], "realm= users=frank,grace");
  EXPECT_THAT(RenderReports(result), HasSubstr("user \"heidi\": not a hash htpasswd makes"));
}

// Every way the credentials cannot be read denies the paths (503) and says why; auth-secret
// without auth-type applies nothing, as in ingress-nginx, and says so.
TEST(TranslateBasicAuthTest, CredentialsThatCannotBeReadDenyThePathsAndSayWhy) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kHtpasswdSecret, SecretYaml("other", "team", "  auth: x"),
          SecretYaml("keyless", "", "  users: x"), Site("digest", Auth("digest", "staff")),
          Site("unknown", Auth("ntlm", "staff")), Site("missing", Auth("basic", "nosuch")),
          Site("foreign", Auth("basic", "team/other")), Site("nosecret", Auth("basic", "")),
          Site("keyless", Auth("basic", "keyless")),
          Site("badtype",
               Auth("basic", "staff", "nginx.ingress.kubernetes.io/auth-secret-type: auth-db")),
          Site("untyped", Auth("", "staff")))),
      {});
  std::map<std::string, std::string> auth = AuthByHost(result);
  for (const char* host : {"digest.test", "unknown.test", "missing.test", "foreign.test",
                           "nosecret.test", "keyless.test", "badtype.test"}) {
    EXPECT_EQ(auth[host], "realm= users= deny") << host;
  }
  EXPECT_EQ(auth["untyped.test"], "none");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("nginx.ingress.kubernetes.io/auth-type: digest authentication "
                                 "is not supported"));
  EXPECT_THAT(reports, HasSubstr("\"ntlm\" is not basic or digest"));
  EXPECT_THAT(reports, HasSubstr("Secret default/nosuch does not exist; every request gets 503"));
  // Another namespace's Secret is neither read nor said to exist.
  EXPECT_THAT(reports, HasSubstr("\"team/other\" is not a Secret name in the Ingress's "
                                 "namespace"));
  EXPECT_THAT(reports, HasSubstr("basic needs auth-secret"));
  EXPECT_THAT(reports, HasSubstr("Secret default/keyless has no key \"auth\""));
  EXPECT_THAT(reports, HasSubstr("\"auth-db\" is not auth-file or auth-map"));
  EXPECT_THAT(reports, HasSubstr("no auth-type is set, so no authentication applies"));
}

// A realm goes between the quotes of WWW-Authenticate: one that would break out is refused.
TEST(TranslateBasicAuthTest, ARealmThatCannotBeQuotedIsReportedAndLeftEmpty) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kHtpasswdSecret,
          Site("quote",
               Auth("basic", "staff", "nginx.ingress.kubernetes.io/auth-realm: 'say \"hi\"'")),
          Site("newline",
               Auth("basic", "staff", "nginx.ingress.kubernetes.io/auth-realm: \"a\\r\\nb\"")))),
      {});
  std::map<std::string, std::string> auth = AuthByHost(result);
  EXPECT_EQ(auth["quote.test"], "realm= users=alice,bob,carol");
  EXPECT_EQ(auth["newline.test"], "realm= users=alice,bob,carol");
  EXPECT_THAT(RenderReports(result), HasSubstr("holds a quote, a backslash or a control "
                                               "character, or is over 256 bytes; the realm is "
                                               "empty"));
}

// A Secret's bytes need not be UTF-8: a user name that is not must neither break the published
// config (whose string fields a data plane would refuse) nor be lost.
TEST(TranslateBasicAuthTest, UserNamesThatAreNotUtf8AreCarriedAsBytes) {
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService,
                         "apiVersion: v1\nkind: Secret\nmetadata: {name: latin1}\ndata: {auth: "
                         "avxyZ2VuOiRhcHIxJFh5OXNRM2FiJHN0YVRSV0EvUFpaT0FQVTFOY3JhSC4K}\n"
                         "---\n",
                         Site("latin1", Auth("basic", "latin1")))),
      {});
  const auto& vhosts = result.resources.route_configs[0].virtual_hosts();
  ASSERT_EQ(vhosts.size(), 1);
  const gatehouse::v1::BasicAuth& auth = vhosts[0].routes(0).filters(0).basic_auth();
  ASSERT_EQ(auth.users_size(), 1);
  EXPECT_EQ(auth.users(0).name(), "j\xfcrgen");
  google::protobuf::Any packed;
  packed.PackFrom(result.resources.route_configs[0]);
  gatehouse::v1::RouteConfiguration unpacked;
  EXPECT_TRUE(packed.UnpackTo(&unpacked));
}

// Every path carries the users: their copies per Ingress are bounded.
TEST(TranslateBasicAuthTest, TooManyUsersTimesPathsDenyThePaths) {
  std::string lines;
  for (int i = 0; i < 10000; ++i) {
    absl::StrAppend(&lines, "    user", i, ":{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=\n");
  }
  std::string paths;
  for (int i = 0; i < 6; ++i) {
    absl::StrAppend(&paths, i == 0 ? "" : ", ", "{path: /p", i,
                    ", pathType: Prefix, backend: ", kBackendWeb, "}");
  }
  std::string ingress = Ingress(
      "many", absl::StrCat("annotations: {", Auth("basic", "big"), "}"),
      absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: many.test, http: {paths: [",
                   paths, "]}}]"));
  TranslateResult result =
      Translate(World(absl::StrCat(kOurClass, kWebService,
                                   SecretYaml("big", "", "  auth: |\n" + lines), ingress)),
                {});
  EXPECT_EQ(AuthByHost(result)["many.test"], "realm= users= deny");
  EXPECT_THAT(RenderReports(result),
              HasSubstr("10000 users on 6 paths are more than 50000 copies"));
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
