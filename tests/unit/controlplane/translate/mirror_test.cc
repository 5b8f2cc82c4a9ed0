// mirror-target, mirror-host and mirror-request-body, as ingress-nginx's annotations
// documentation ("Mirror") and its e2e test annotations/mirror.go define them: the target is a
// URL with nginx's variables, the copy's Host is mirror-host or the URL's host, and the body goes
// along unless mirror-request-body is "off". Gatehouse's difference: the URL's host must name a
// Service of the Ingress's own namespace.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/translate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

constexpr absl::string_view kShadow = R"(
apiVersion: v1
kind: Service
metadata: {name: shadow}
spec: {clusterIP: 10.96.0.20, ports: [{name: http, port: 80}, {name: alt, port: 8080},
       {name: tls, port: 443}]}
---
apiVersion: v1
kind: Service
metadata: {name: shadow, namespace: kube-system}
spec: {ports: [{name: http, port: 80}]}
---
)";

std::string Mirrored(absl::string_view name, absl::string_view annotations) {
  return AnnotatedSite(name, absl::StrCat(name, ".test"), annotations);
}

std::string Target(absl::string_view url) {
  return absl::StrCat("nginx.ingress.kubernetes.io/mirror-target: \"", url, "\"");
}

// Each virtual host's mirrors, "cluster target host body" each.
std::map<std::string, std::string> MirrorsByHost(const TranslateResult& result) {
  std::map<std::string, std::string> out;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      for (const auto& mirror : route.mirrors()) {
        absl::StrAppend(&out[vhost.name()], mirror.cluster(), " ", mirror.target(), " ",
                        mirror.host(), mirror.with_body() ? " body" : " no-body");
      }
    }
  }
  return out;
}

TEST(TranslateMirrorTest, TheUrlNamesAServiceOfTheNamespaceAndThePathIsTheCopysTarget) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kShadow,
          Mirrored("full", Target("http://shadow.default.svc.cluster.local:8080$request_uri")),
          Mirrored("short", Target("http://shadow/copy?of=$uri")),
          Mirrored("ip", Target("http://10.96.0.20")),
          Mirrored("tls", Target("https://Shadow.default/$request_uri")),
          Mirrored("shaped", absl::StrCat(Target("http://shadow.default.svc$request_uri"),
                                          ", nginx.ingress.kubernetes.io/mirror-host: "
                                          "shadow.example, nginx.ingress.kubernetes.io/"
                                          "mirror-request-body: \"off\"")),
          Mirrored("ghost", Target("http://ghost$request_uri")), Mirrored("plain", ""))),
      {});
  std::map<std::string, std::string> mirrors = MirrorsByHost(result);
  EXPECT_EQ(mirrors["full.test"],
            "default/shadow:8080 $request_uri shadow.default.svc.cluster.local body");
  EXPECT_EQ(mirrors["short.test"], "default/shadow:80 /copy?of=$uri shadow body");
  EXPECT_EQ(mirrors["ip.test"], "default/shadow:80  10.96.0.20 body");
  // https: TLS to the Service, without certificate checks (nginx's proxy_ssl_verify off).
  EXPECT_EQ(mirrors["tls.test"], "default/shadow:443~https /$request_uri shadow.default body");
  EXPECT_EQ(mirrors["shaped.test"], "default/shadow:80 $request_uri shadow.example no-body");
  // A Service that does not exist yet: copies go nowhere until it does, as a backend's would.
  EXPECT_EQ(mirrors["ghost.test"], "default/ghost:80 $request_uri ghost body");
  EXPECT_EQ(mirrors.count("plain.test"), 0u);
  EXPECT_EQ(RenderReports(result),
            "default/full ACCEPTED\n"
            "default/ghost PARTLY_ACCEPTED\n"
            "  mirror: service default/ghost does not exist (no endpoints); no copies are sent "
            "until it has\n"
            "default/ip ACCEPTED\n"
            "default/plain ACCEPTED\n"
            "default/shaped ACCEPTED\n"
            "default/short ACCEPTED\n"
            "default/tls ACCEPTED");
}

TEST(TranslateMirrorTest, TargetsThatAreNotServicesOfTheNamespaceAreRefused) {
  TranslateResult result = Translate(
      World(absl::StrCat(
          kOurClass, kWebService, kShadow,
          Mirrored("abroad", Target("http://shadow.kube-system.svc.cluster.local$request_uri")),
          Mirrored("outside", Target("https://test.env.com$request_uri")),
          Mirrored("stray-ip", Target("http://10.1.2.3$request_uri")),
          Mirrored("ftp", Target("ftp://shadow/x")), Mirrored("port", Target("http://shadow:0/x")),
          Mirrored("variable", Target("http://shadow/$remote_addr")),
          Mirrored("spaced", Target("http://shadow/a b")),
          Mirrored("alone",
                   "nginx.ingress.kubernetes.io/mirror-host: shadow.example, "
                   "nginx.ingress.kubernetes.io/mirror-request-body: \"off\""),
          Mirrored("values", absl::StrCat(Target("http://shadow$request_uri"),
                                          ", nginx.ingress.kubernetes.io/mirror-host: \"a b\", "
                                          "nginx.ingress.kubernetes.io/mirror-request-body: "
                                          "maybe")))),
      {});
  std::map<std::string, std::string> mirrors = MirrorsByHost(result);
  EXPECT_EQ(mirrors.size(), 1u);
  // Values that cannot be read keep their defaults.
  EXPECT_EQ(mirrors["values.test"], "default/shadow:80 $request_uri shadow body");
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports, testing::HasSubstr(
                           "annotation mirror-target: shadow.kube-system.svc.cluster.local names a "
                           "Service of another namespace"));
  EXPECT_THAT(reports, testing::HasSubstr(
                           "annotation mirror-target: test.env.com is not a Service of namespace "
                           "default (name, name.namespace or name.namespace.svc.cluster.local, or "
                           "its ClusterIP): the data plane resolves no DNS names"));
  EXPECT_THAT(reports, testing::HasSubstr("annotation mirror-target: 10.1.2.3 is the ClusterIP "
                                          "of no Service of namespace default"));
  EXPECT_THAT(reports, testing::HasSubstr("\"ftp://shadow/x\" is not an http:// or https:// URL"));
  EXPECT_THAT(reports, testing::HasSubstr("\"http://shadow:0/x\" has a port that is not 1 to "
                                          "65535"));
  EXPECT_THAT(reports, testing::HasSubstr("annotation mirror-target: the mirror target: "
                                          "$remote_addr is not one of"));
  EXPECT_THAT(reports, testing::HasSubstr("annotation mirror-target: the mirror target \"/a b\" "
                                          "is not a path of printable characters without "
                                          "spaces"));
  EXPECT_THAT(reports, testing::HasSubstr("annotation nginx.ingress.kubernetes.io/mirror-host: "
                                          "no mirror-target to apply it to"));
  EXPECT_THAT(reports, testing::HasSubstr("annotation nginx.ingress.kubernetes.io/mirror-host: "
                                          "\"a b\" is not a host name; the URL's host is sent"));
  EXPECT_THAT(reports, testing::HasSubstr(
                           "annotation nginx.ingress.kubernetes.io/mirror-request-body: \"maybe\" "
                           "is not on or off; the body is sent"));
  // The paths are served all the same: only the mirror is refused.
  for (const auto& report : result.reports) {
    EXPECT_NE(report.state, IngressReport::State::kRejected) << report.Key();
  }
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
