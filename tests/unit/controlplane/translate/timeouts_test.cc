// proxy-connect-timeout, proxy-read-timeout and proxy-send-timeout, as ingress-nginx's
// annotations documentation ("Custom timeouts") defines them: unitless whole seconds, for the
// Ingress's own paths only; and proxy-next-upstream with its -tries and -timeout, whose defaults
// when any of them is set are ingress-nginx's ("error timeout", 3 tries, no time limit).
#include <string>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

constexpr auto Site = AnnotatedSite;

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

TEST(TranslateRetryTest, NextUpstreamAnnotationsBecomeTheRoutesRetryPolicy) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService,
          Site("listed", "listed.test",
               "nginx.ingress.kubernetes.io/proxy-next-upstream: \"error HTTP_502 http_504 "
               "non_idempotent invalid_header\", "
               "nginx.ingress.kubernetes.io/proxy-next-upstream-tries: \"5\", "
               "nginx.ingress.kubernetes.io/proxy-next-upstream-timeout: \"10\""),
          Site("tries-only", "tries.test",
               "nginx.ingress.kubernetes.io/proxy-next-upstream-tries: \"0\""),
          Site("off", "off.test", "nginx.ingress.kubernetes.io/proxy-next-upstream: \"off\""),
          Site("none", "none.test", ""),
          Site("bad", "bad.test",
               "nginx.ingress.kubernetes.io/proxy-next-upstream: \"error http_418\", "
               "nginx.ingress.kubernetes.io/proxy-next-upstream-tries: \"17\""))),
      {});
  std::map<std::string, std::string> retry;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      retry[vhost.name()] = route.has_retry() ? route.retry().ShortDebugString() : "-";
    }
  }
  EXPECT_EQ(retry["listed.test"],
            "on_error: true statuses: 502 statuses: 504 non_idempotent: true tries: 5 "
            "timeout_ms: 10000");
  EXPECT_EQ(retry["tries.test"], "on_error: true on_timeout: true");
  EXPECT_EQ(retry["off.test"], "tries: 3");
  EXPECT_EQ(retry["none.test"], "-");
  EXPECT_EQ(retry["bad.test"], "on_error: true on_timeout: true tries: 3");
  EXPECT_THAT(RenderReports(result),
              ::testing::HasSubstr(
                  "default/bad PARTLY_ACCEPTED\n"
                  "  annotation nginx.ingress.kubernetes.io/proxy-next-upstream: \"http_418\" is "
                  "not error, timeout, invalid_header, http_403, http_404, http_429, http_500, "
                  "http_502, http_503, http_504, non_idempotent or off; the default \"error "
                  "timeout\" applies\n"
                  "  annotation nginx.ingress.kubernetes.io/proxy-next-upstream-tries: \"17\" is "
                  "not a whole number from 0 to 16; 3 tries apply\n"));
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
