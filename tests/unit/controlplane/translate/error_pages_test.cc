// custom-http-errors' headers (ingress-nginx's custom error pages documentation: X-Namespace,
// X-Ingress-Name, X-Service-Name and X-Service-Port go to the error backend) are checked as a
// data plane checks them: an object name no API server would accept, read from a folder, cannot
// make the control plane publish a route the data planes refuse.
#include <string>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

constexpr absl::string_view kPages =
    "nginx.ingress.kubernetes.io/custom-http-errors: \"404\", "
    "nginx.ingress.kubernetes.io/default-backend: web";

TEST(TranslateErrorPagesTest, HeadersThatCannotBeSentLeaveTheRouteWithoutErrorPages) {
  TranslateResult result =
      Translate(World(absl::StrCat(kOurClass, kWebService,
                                   AnnotatedSite("\"\\x19eaders\"", "odd.test", kPages),
                                   AnnotatedSite("fine", "fine.test", kPages))),
                {});
  std::map<std::string, bool> has_pages;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) has_pages[vhost.name()] = route.has_error_pages();
  }
  EXPECT_TRUE(has_pages["fine.test"]);
  EXPECT_FALSE(has_pages["odd.test"]);
  EXPECT_THAT(RenderReports(result),
              testing::HasSubstr("error pages: X-Ingress-Name would be \"\\x19"));
  EXPECT_THAT(RenderReports(result),
              testing::HasSubstr("which cannot be sent in a header; no error pages are served"));
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
