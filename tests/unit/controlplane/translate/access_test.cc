// allowlist-source-range (whitelist-source-range) and denylist-source-range, as ingress-nginx's
// annotations documentation defines them ("Whitelist source range": comma-separated CIDRs that
// may reach the location; the ConfigMap's whitelist-source-range and denylist-source-range are
// the defaults an annotation replaces) and as its e2e tests annotations/ipwhitelist.go and
// ipdenylist.go use them. A list that cannot be read denies the location there; here it refuses
// every client, reported on the Ingress.
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
  std::map<std::string, std::string> out;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      std::string& entry = out[vhost.name()];
      entry = "none";
      for (const auto& filter : route.filters()) {
        if (!filter.has_source_ranges()) continue;
        const auto& ranges = filter.source_ranges();
        entry = absl::StrCat("allow=", absl::StrJoin(ranges.allow(), ","),
                             " deny=", absl::StrJoin(ranges.deny(), ","),
                             ranges.refuse_all() ? " refuse_all" : "");
      }
    }
  }
  return out;
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
  // An empty annotation lifts the default allow list for this Ingress.
  EXPECT_EQ(ranges["open.test"], "allow= deny=10.6.6.6");
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

}  // namespace
}  // namespace gatehouse::controlplane::translate
