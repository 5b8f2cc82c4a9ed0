// auth-url and its companions, as ingress-nginx's annotations documentation ("External
// Authentication") and internal/ingress/annotations/authreq read them: an auth-url that cannot
// be used, an auth-method that is no method, or auth-response-headers that are no header names
// deny the location (503); a bad auth-signin is dropped with a warning. Here the auth service
// must be a Service of the Ingress's own namespace, or of one the operator shares with every
// Ingress (--auth-service-namespaces).
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

constexpr absl::string_view kAuthService = R"(
apiVersion: v1
kind: Service
metadata: {name: oauth2-proxy}
spec: {clusterIP: 10.96.0.9, ports: [{name: http, port: 4180, targetPort: 4180}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: oauth2-proxy-a, labels: {kubernetes.io/service-name: oauth2-proxy}}
addressType: IPv4
ports: [{name: http, port: 4180}]
endpoints: [{addresses: [10.0.0.9]}]
---
)";

std::string Site(absl::string_view name, absl::string_view annotations) {
  return AnnotatedSite(name, absl::StrCat(name, ".test"), annotations);
}

std::string Url(absl::string_view url, absl::string_view more = "") {
  return absl::StrCat("nginx.ingress.kubernetes.io/auth-url: \"", url, "\"",
                      more.empty() ? "" : ", ", more);
}

// Each virtual host's external-auth filter, rendered, or "none".
std::map<std::string, std::string> AuthByHost(const TranslateResult& result) {
  return FilterByHost(result, [](const gatehouse::v1::Filter& filter) -> std::string {
    if (!filter.has_external_auth()) return "";
    const gatehouse::v1::ExternalAuth& auth = filter.external_auth();
    if (auth.deny()) return "deny";
    return absl::StrCat(
        auth.cluster(), " ", auth.method().empty() ? "GET" : auth.method(), " ", auth.host(),
        auth.target(), " headers=", absl::StrJoin(auth.response_headers(), ","),
        " signin=", auth.signin(), " ", auth.signin_param(), " timeout=", auth.timeout_ms());
  });
}

TEST(TranslateExternalAuthTest, AnAuthUrlOfTheNamespaceBecomesTheRoutesFilter) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kAuthService,
          Site("full", Url("http://oauth2-proxy.default.svc.cluster.local:4180/oauth2/auth?x=1",
                           "nginx.ingress.kubernetes.io/auth-signin: "
                           "\"https://$host/oauth2/start?rd=$escaped_request_uri\", "
                           "nginx.ingress.kubernetes.io/auth-response-headers: "
                           "\"X-Auth-Request-User, X-Auth-Request-Email\", "
                           "nginx.ingress.kubernetes.io/auth-method: POST, "
                           "gatehouse.dev/auth-timeout: \"2\"")),
          Site("short", Url("http://oauth2-proxy:4180")),
          Site("by-ip", Url("http://10.96.0.9:4180/check")))),
      {});
  std::map<std::string, std::string> auth = AuthByHost(result);
  EXPECT_EQ(auth["full.test"],
            "default/oauth2-proxy:4180 POST oauth2-proxy.default.svc.cluster.local/oauth2/auth?x=1 "
            "headers=X-Auth-Request-User,X-Auth-Request-Email "
            "signin=https://$host/oauth2/start?rd=$escaped_request_uri rd timeout=2000");
  EXPECT_EQ(auth["short.test"],
            "default/oauth2-proxy:4180 GET oauth2-proxy/ headers= signin= rd timeout=5000");
  EXPECT_EQ(auth["by-ip.test"],
            "default/oauth2-proxy:4180 GET 10.96.0.9/check headers= signin= rd timeout=5000");
  EXPECT_THAT(RenderReports(result), testing::Not(HasSubstr("auth")));
}

TEST(TranslateExternalAuthTest, SharedNamespacesOpenTheirServicesToEveryIngress) {
  constexpr absl::string_view kSharedAuth = R"(
apiVersion: v1
kind: Service
metadata: {name: oauth2-proxy, namespace: auth}
spec: {clusterIP: 10.96.1.1, ports: [{name: http, port: 4180, targetPort: 4180}]}
---
apiVersion: v1
kind: Service
metadata: {name: oauth2-proxy, namespace: private}
spec: {clusterIP: 10.96.2.2, ports: [{name: http, port: 4180, targetPort: 4180}]}
---
)";
  std::string world = absl::StrCat(
      kOurClass, kWebService, kSharedAuth,
      Site("named", Url("http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth")),
      Site("by-ip", Url("http://10.96.1.1:4180/check")),
      Site("private", Url("http://oauth2-proxy.private:4180/check")),
      Site("private-ip", Url("http://10.96.2.2:4180/check")));
  TranslateOptions shared;
  shared.auth_service_namespaces = {"auth"};
  TranslateResult result = Translate(World(world), shared);
  std::map<std::string, std::string> auth = AuthByHost(result);
  EXPECT_EQ(auth["named.test"],
            "auth/oauth2-proxy:4180 GET oauth2-proxy.auth.svc.cluster.local/oauth2/auth headers= "
            "signin= rd timeout=5000");
  EXPECT_EQ(auth["by-ip.test"],
            "auth/oauth2-proxy:4180 GET 10.96.1.1/check headers= signin= rd timeout=5000");
  EXPECT_EQ(auth["private.test"], "deny");
  EXPECT_EQ(auth["private-ip.test"], "deny");
  // Without the flag, the shared namespace is another namespace like any.
  std::map<std::string, std::string> closed = AuthByHost(Translate(World(world), {}));
  EXPECT_EQ(closed["named.test"], "deny");
  EXPECT_EQ(closed["by-ip.test"], "deny");
}

TEST(TranslateExternalAuthTest, WhatCannotBeUsedDeniesThePathsAndSaysWhy) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kAuthService,
          Site("foreign", Url("http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth")),
          Site("outside", Url("https://auth.example.com/check")),
          Site("variable", Url("https://$host/oauth2/auth")),
          Site("missing", Url("http://nosuch/check")), Site("ftp", Url("ftp://oauth2-proxy/check")),
          Site("space", Url("http://oauth2-proxy:4180/check?x=a b")),
          Site("method", Url("http://oauth2-proxy:4180",
                             "nginx.ingress.kubernetes.io/"
                             "auth-method: FETCH")),
          Site("header", Url("http://oauth2-proxy:4180",
                             "nginx.ingress.kubernetes.io/"
                             "auth-response-headers: \"Host\"")),
          Site("signin", Url("http://oauth2-proxy:4180",
                             "nginx.ingress.kubernetes.io/"
                             "auth-signin: \"https://x/$nope\"")))),
      {});
  std::map<std::string, std::string> auth = AuthByHost(result);
  for (const char* host : {"foreign.test", "outside.test", "variable.test", "ftp.test",
                           "space.test", "method.test", "header.test"}) {
    EXPECT_EQ(auth[host], "deny") << host;
  }
  // A Service that does not exist yet is a backend without endpoints, as a path's: its
  // requests get 500 (never through) until it does.
  EXPECT_EQ(auth["missing.test"],
            "default/nosuch:80 GET nosuch/check headers= signin= rd timeout=5000");
  // A bad sign-in URL is left out: a 401 is the answer.
  EXPECT_EQ(auth["signin.test"],
            "default/oauth2-proxy:4180 GET oauth2-proxy/ headers= signin= rd timeout=5000");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, HasSubstr("names a Service of another namespace"));
  EXPECT_THAT(reports, HasSubstr("the data plane resolves no DNS names"));
  EXPECT_THAT(reports, HasSubstr("holds a variable"));
  EXPECT_THAT(reports, HasSubstr("auth-url: service default/nosuch does not exist"));
  EXPECT_THAT(reports, HasSubstr("is not an http:// or https:// URL"));
  EXPECT_THAT(reports, HasSubstr("has a path with a space or control character"));
  EXPECT_THAT(reports, HasSubstr("\"FETCH\" is not an HTTP method"));
  EXPECT_THAT(reports, HasSubstr("\"Host\" is not a header the request may carry"));
  EXPECT_THAT(reports, HasSubstr("annotation nginx.ingress.kubernetes.io/auth-signin:"));
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
