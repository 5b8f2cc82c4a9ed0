// service-upstream and the error pages, as ingress-nginx's annotations documentation ("Service
// Upstream") defines it: the Service's ClusterIP and port as the one upstream, instead of its
// endpoints.
#include <string>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

constexpr absl::string_view kServices = R"(
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 8080, targetPort: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-a, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
ports: [{name: http, port: 80}]
endpoints: [{addresses: [10.0.0.7]}, {addresses: [10.0.0.8]}]
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, ports: [{name: http, port: 8080}]}
---
)";

std::string Site(absl::string_view name, absl::string_view service, absl::string_view value) {
  return Ingress(
      name,
      value.empty()
          ? ""
          : absl::StrCat("annotations: {nginx.ingress.kubernetes.io/service-upstream: ", value,
                         "}"),
      absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: ", name,
                   ".test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: ",
                   service, ", port: {number: 8080}}}}]}}]"));
}

TEST(TranslateServiceUpstreamTest, TheClusterIpIsTheOneEndpoint) {
  TranslateResult result = Translate(
      World(absl::StrCat(kOurClass, kServices, Site("direct", "api", "\"true\""),
                         Site("pods", "api", ""), Site("off", "api", "\"false\""),
                         Site("headless", "headless", "\"true\""), Site("typo", "api", "yes"))),
      {});
  std::vector<std::string> assignments;
  for (const auto& assignment : result.resources.load_assignments) {
    std::string line = assignment.cluster_name() + ":";
    for (const auto& endpoint : assignment.endpoints()) {
      absl::StrAppend(&line, " ", endpoint.address(), ":", endpoint.port());
    }
    assignments.push_back(line);
  }
  EXPECT_THAT(assignments, ::testing::ElementsAre("default/api:8080: 10.0.0.7:80 10.0.0.8:80",
                                                  "default/api:8080~service: 10.96.0.10:8080",
                                                  "default/headless:8080:"));
  EXPECT_EQ(RenderReports(result),
            "default/direct ACCEPTED\n"
            "default/headless PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[0]: annotation service-upstream: Service default/headless has "
            "no ClusterIP (headless, or not an IP address); its endpoints are used\n"
            "default/off ACCEPTED\n"
            "default/pods ACCEPTED\n"
            "default/typo PARTLY_ACCEPTED\n"
            "  annotation nginx.ingress.kubernetes.io/service-upstream: \"yes\" is not true or "
            "false; the endpoints are used");
}

// custom-http-errors and default-backend (ingress-nginx's annotations documentation): the codes,
// the Service's first port, and the headers its custom error pages send.
TEST(TranslateErrorPagesTest, CodesAndTheDefaultBackendBecomeTheRoutesErrorPages) {
  auto site = [](absl::string_view name, absl::string_view annotations) {
    return Ingress(name, absl::StrCat("annotations: {", annotations, "}"),
                   absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: ", name,
                                ".test, http: {paths: [{path: /, pathType: Prefix, backend: "
                                "{service: {name: api, port: {number: 8080}}}}]}}]"));
  };
  TranslateOptions options;
  TranslateResult result =
      Translate(World(absl::StrCat(
                    kOurClass, kServices,
                    site("pages",
                         "nginx.ingress.kubernetes.io/custom-http-errors: \"404,503, 418x\", "
                         "nginx.ingress.kubernetes.io/default-backend: api"),
                    site("fallback", "nginx.ingress.kubernetes.io/default-backend: api"),
                    site("missing", "nginx.ingress.kubernetes.io/default-backend: nowhere"),
                    site("orphan", "nginx.ingress.kubernetes.io/custom-http-errors: \"500\""))),
                options);
  std::map<std::string, std::string> pages;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      pages[vhost.name()] = route.error_pages().ShortDebugString();
    }
  }
  EXPECT_EQ(pages["pages.test"],
            "codes: 404 codes: 503 cluster: \"default/api:8080\" headers { name: \"X-Namespace\" "
            "value: \"default\" } headers { name: \"X-Ingress-Name\" value: \"pages\" } "
            "headers { name: \"X-Service-Name\" value: \"api\" } headers { name: "
            "\"X-Service-Port\" value: \"8080\" } when_no_endpoints: true");
  EXPECT_THAT(pages["fallback.test"], ::testing::HasSubstr("when_no_endpoints: true"));
  EXPECT_THAT(pages["fallback.test"], ::testing::Not(::testing::HasSubstr("codes")));
  EXPECT_EQ(pages["missing.test"], "");
  EXPECT_EQ(pages["orphan.test"], "");
  EXPECT_EQ(RenderReports(result),
            "default/fallback ACCEPTED\n"
            "default/missing PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[0]: annotation default-backend: Service default/nowhere does "
            "not exist or has no port; no error pages are served\n"
            "default/orphan PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[0]: annotation custom-http-errors: no default-backend "
            "annotation and no --default-backend to answer them; the backend's answers pass "
            "unchanged\n"
            "default/pages PARTLY_ACCEPTED\n"
            "  annotation nginx.ingress.kubernetes.io/custom-http-errors: \"418x\" is not a status "
            "from 400 to 599; left out");
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
