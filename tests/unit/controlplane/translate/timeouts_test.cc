// proxy-connect-timeout, proxy-read-timeout and proxy-send-timeout, as ingress-nginx's
// annotations documentation ("Custom timeouts") defines them: unitless whole seconds, for the
// Ingress's own paths only.
#include <string>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/translate.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

std::string Site(absl::string_view name, absl::string_view host, absl::string_view annotations) {
  return Ingress(
      name, absl::StrCat("annotations: {", annotations, "}"),
      absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: ", host,
                   ", http: {paths: [{path: /, pathType: Prefix, backend: ", kBackendWeb, "}]}}]"));
}

TEST(TranslateTimeoutsTest, SecondsBecomeTheRoutesTimeoutsAndOtherValuesAreRefused) {
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kWebService,
                         Site("timed", "timed.test",
                              "nginx.ingress.kubernetes.io/proxy-connect-timeout: \"3\", "
                              "nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\", "
                              "gatehouse.dev/proxy-send-timeout: \" 20 \", "
                              "nginx.ingress.kubernetes.io/proxy-send-timeout: \"5\""),
                         Site("plain", "plain.test", ""),
                         Site("bad", "bad.test",
                              "nginx.ingress.kubernetes.io/proxy-read-timeout: 5s, "
                              "nginx.ingress.kubernetes.io/proxy-connect-timeout: \"0\", "
                              "nginx.ingress.kubernetes.io/proxy-send-timeout: \"86401\""))),
      {});
  std::map<std::string, std::string> timeouts;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      timeouts[vhost.name()] = route.timeouts().ShortDebugString();
    }
  }
  EXPECT_EQ(timeouts["timed.test"], "connect_ms: 3000 read_ms: 3600000 send_ms: 20000");
  EXPECT_EQ(timeouts["plain.test"], "");
  EXPECT_EQ(timeouts["bad.test"], "");
  EXPECT_EQ(RenderReports(result),
            "default/bad PARTLY_ACCEPTED\n"
            "  annotation nginx.ingress.kubernetes.io/proxy-connect-timeout: \"0\" is not a whole "
            "number of seconds from 1 to 86400 (ingress-nginx's timeouts are unitless); the data "
            "plane's default applies\n"
            "  annotation nginx.ingress.kubernetes.io/proxy-read-timeout: \"5s\" is not a whole "
            "number of seconds from 1 to 86400 (ingress-nginx's timeouts are unitless); the data "
            "plane's default applies\n"
            "  annotation nginx.ingress.kubernetes.io/proxy-send-timeout: \"86401\" is not a "
            "whole number of seconds from 1 to 86400 (ingress-nginx's timeouts are unitless); the "
            "data plane's default applies\n"
            "default/plain ACCEPTED\n"
            "default/timed ACCEPTED");
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
