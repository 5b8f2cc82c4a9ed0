// "These objects in, this config out": the translation as tables of manifests and expected
// config, rendered as short text so a failure shows exactly what differs.
#include "controlplane/translate/translate.h"

#include <algorithm>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/path_regex.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/translate/annotations.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_certificates.h"
#include "tests/unit/controlplane/translate/test_world.h"

namespace gatehouse::controlplane::translate {
namespace {

const char* TypeName(gatehouse::v1::RouteMatch::PathType type) {
  switch (type) {
    case gatehouse::v1::RouteMatch::EXACT:
      return "Exact";
    case gatehouse::v1::RouteMatch::PREFIX:
      return "Prefix";
    case gatehouse::v1::RouteMatch::STRING_PREFIX:
      return "StringPrefix";
    case gatehouse::v1::RouteMatch::REGEX:
      return "Regex";
    default:
      return "?";
  }
}

// "name[=value],..." of a chain: the typed filters the data plane runs, in order.
std::string FilterNames(const google::protobuf::RepeatedPtrField<gatehouse::v1::Filter>& filters) {
  std::vector<std::string> names;
  for (const gatehouse::v1::Filter& filter : filters) {
    const google::protobuf::FieldDescriptor* field =
        gatehouse::v1::Filter::descriptor()->FindFieldByNumber(filter.config_case());
    std::string name = field != nullptr ? field->name() : "?";
    if (filter.has_strict_transport_security()) {
      absl::StrAppend(&name, "=", filter.strict_transport_security().value());
    } else if (filter.has_request_body_limit()) {
      absl::StrAppend(&name, "=", filter.request_body_limit().max_bytes());
    } else if (filter.has_redirect()) {
      absl::StrAppend(&name, "=", filter.redirect().code(), " ", filter.redirect().location());
    } else if (filter.has_app_root()) {
      absl::StrAppend(&name, "=", filter.app_root().path());
    } else if (filter.has_rewrite_path()) {
      absl::StrAppend(&name, "=", filter.rewrite_path().regex(), " ",
                      filter.rewrite_path().replacement());
    } else if (filter.has_upstream_host()) {
      absl::StrAppend(&name, "=", filter.upstream_host().host());
    } else if (filter.has_request_header_modifier() || filter.has_response_header_modifier()) {
      const gatehouse::v1::HeaderModifier& modifier = filter.has_request_header_modifier()
                                                          ? filter.request_header_modifier()
                                                          : filter.response_header_modifier();
      std::vector<std::string> set;
      for (const auto& header : modifier.set()) set.push_back(header.name() + ":" + header.value());
      absl::StrAppend(&name, "=", absl::StrJoin(set, "|"));
    } else if (filter.has_host_redirect()) {
      absl::StrAppend(&name, "=", filter.host_redirect().code(), " ",
                      filter.host_redirect().host());
    }
    names.push_back(name);
  }
  return absl::StrJoin(names, ",");
}

// "host [default=cluster]" then "  Type path -> cluster (source)" per route.
std::string RenderRoutes(const TranslateResult& result) {
  std::vector<std::string> lines;
  EXPECT_EQ(result.resources.route_configs.size(), 1u);
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    std::string line = vhost.name();
    if (!vhost.default_cluster().empty())
      absl::StrAppend(&line, " default=", vhost.default_cluster());
    lines.push_back(line);
    for (const auto& route : vhost.routes()) {
      lines.push_back(absl::StrCat("  ", TypeName(route.match().path_type()), " ",
                                   route.match().path(), " -> ", route.cluster(), " (",
                                   route.source(), ")"));
      for (const gatehouse::v1::Filter& filter : route.filters()) {
        if (filter.has_request_body_limit()) {
          absl::StrAppend(&lines.back(), " body<=", filter.request_body_limit().max_bytes());
        }
      }
      const gatehouse::v1::LoadBalancing& lb = route.load_balancing();
      if (lb.ByteSizeLong() > 0) {
        absl::StrAppend(&lines.back(),
                        " lb=", gatehouse::v1::LoadBalancing::Policy_Name(lb.policy()));
        if (lb.has_header()) absl::StrAppend(&lines.back(), " header:", lb.header());
        if (lb.has_cookie()) absl::StrAppend(&lines.back(), " cookie:", lb.cookie());
        if (lb.client_ip()) absl::StrAppend(&lines.back(), " client-ip");
        if (lb.cookie_max_age_seconds() > 0) {
          absl::StrAppend(&lines.back(), " max-age:", lb.cookie_max_age_seconds());
        }
      }
    }
  }
  return absl::StrJoin(lines, "\n");
}

// "cluster: addr:port [flags]" per endpoint, "cluster: -" when it has none.
std::string RenderEndpoints(const TranslateResult& result) {
  std::vector<std::string> lines;
  EXPECT_EQ(result.resources.clusters.size(), result.resources.load_assignments.size());
  for (size_t i = 0; i < result.resources.load_assignments.size(); ++i) {
    const auto& cla = result.resources.load_assignments[i];
    EXPECT_EQ(cla.cluster_name(), result.resources.clusters[i].name());
    EXPECT_EQ(result.resources.clusters[i].connect_timeout_ms(), 5000u);
    if (cla.endpoints().empty()) lines.push_back(absl::StrCat(cla.cluster_name(), ": -"));
    for (const auto& e : cla.endpoints()) {
      std::string flags =
          absl::StrCat(e.ready() ? "R" : "", e.serving() ? "S" : "", e.terminating() ? "T" : "");
      lines.push_back(
          absl::StrCat(cla.cluster_name(), ": ", e.address(), ":", e.port(), " ", flags));
    }
  }
  return absl::StrJoin(lines, "\n");
}

struct Case {
  const char* name;
  std::string yaml;
  std::string routes;
  std::string reports;
  TranslateOptions options = {};
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class TranslateTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(TranslateTableTest, ObjectsInConfigOut) {
  const Case& c = GetParam();
  TranslateResult result = Translate(World(c.yaml), c.options);
  EXPECT_EQ(RenderRoutes(result), c.routes);
  EXPECT_EQ(RenderReports(result), c.reports);
  ASSERT_EQ(result.resources.listeners.size(), 2u);
  EXPECT_EQ(result.resources.listeners[0].name(), "http");
  EXPECT_EQ(result.resources.listeners[0].route_config_name(), "http");
  EXPECT_EQ(result.resources.listeners[1].name(), "https");
  EXPECT_EQ(result.resources.listeners[1].route_config_name(), "http");
}

// An Ingress of our class with `annotations` (YAML flow-map entries) and one Prefix / path on
// `host` to Service web.
std::string AnnotatedIngress(absl::string_view name, absl::string_view annotations,
                             absl::string_view host) {
  return Ingress(
      name, absl::StrCat("annotations: {", annotations, "}"),
      absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: ", host,
                   ", http: {paths: [{path: /, pathType: Prefix, backend: ", kBackendWeb, "}]}}]"));
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  cases.push_back(Case{
      "ClassSelection",
      absl::StrCat(
          kOurClass, kWebService, R"(
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
)",
          Ingress("by-class", "",
                  "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: [{path: /, "
                  "pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]"),
          Ingress("other-class", "",
                  "  ingressClassName: nginx\n  rules: [{host: b.com, http: {paths: [{path: /, "
                  "pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]"),
          Ingress("unknown-class", "",
                  "  ingressClassName: foo\n  rules: [{host: c.com, http: {paths: [{path: /, "
                  "pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]"),
          Ingress("no-class", "",
                  "  rules: [{host: d.com, http: {paths: [{path: /, pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]"),
          Ingress("legacy", "annotations: {kubernetes.io/ingress.class: gatehouse}",
                  "  rules: [{host: e.com, http: {paths: [{path: /, pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]"),
          Ingress("legacy-other", "annotations: {kubernetes.io/ingress.class: nginx}",
                  "  rules: [{host: f.com, http: {paths: [{path: /, pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]")),
      "a.com\n  Prefix / -> default/web:80 (default/by-class)\n"
      "e.com\n  Prefix / -> default/web:80 (default/legacy)",
      "default/by-class ACCEPTED\n"
      "default/legacy ACCEPTED\n"
      "default/legacy-other IGNORED\n"
      "  annotation kubernetes.io/ingress.class is \"nginx\", not \"gatehouse\"\n"
      "default/no-class IGNORED\n"
      "  no ingressClassName, and no IngressClass of controller "
      "\"gatehouse.dev/ingress-controller\" is the default class\n"
      "default/other-class IGNORED\n"
      "  ingressClassName \"nginx\" belongs to controller \"k8s.io/ingress-nginx\", not "
      "\"gatehouse.dev/ingress-controller\"\n"
      "default/unknown-class IGNORED\n"
      "  ingressClassName \"foo\" names no IngressClass and is not \"gatehouse\""});
  cases.push_back(Case{
      "ClassNameWithoutIngressClassObjectAndDefaultClass",
      absl::StrCat(
          kWebService,
          Ingress("named", "",
                  "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: [{path: /, "
                  "pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]"),
          Ingress("classless", "",
                  "  rules: [{host: b.com, http: {paths: [{path: /, pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]")),
      "a.com\n  Prefix / -> default/web:80 (default/named)",
      "default/classless IGNORED\n"
      "  no ingressClassName, and no IngressClass of controller "
      "\"gatehouse.dev/ingress-controller\" is the default class\n"
      "default/named ACCEPTED"});
  cases.push_back(
      Case{"DefaultClassTakesClasslessIngresses",
           absl::StrCat(R"(
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gh, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: gatehouse.dev/ingress-controller}
---
)",
                        kWebService,
                        Ingress("classless", "",
                                "  rules: [{http: {paths: [{path: /, pathType: Prefix, backend: " +
                                    kBackendWeb + "}]}}]")),
           "*\n  Prefix / -> default/web:80 (default/classless)", "default/classless ACCEPTED"});
  // Paths: type mapping, trailing slash, empty path, and match order.
  const std::string paths_in_order[] = {
      "{path: /api/, pathType: Prefix, backend: " + kBackendWeb + "}",
      "{path: /api, pathType: Exact, backend: " + kBackendWeb + "}",
      "{path: /api, pathType: ImplementationSpecific, backend: " + kBackendWeb + "}",
      "{pathType: Prefix, backend: " + kBackendWeb + "}",
      "{path: /api/v1/users, pathType: Prefix, backend: " + kBackendWeb + "}",
      "{path: /b, pathType: Exact, backend: " + kBackendWeb + "}",
  };
  const std::string expected_paths =
      "example.com\n"
      "  Prefix /api/v1/users -> default/web:80 (default/paths)\n"
      "  Exact /api -> default/web:80 (default/paths)\n"
      "  Prefix /api -> default/web:80 (default/paths)\n"
      "  StringPrefix /api -> default/web:80 (default/paths)\n"
      "  Exact /b -> default/web:80 (default/paths)\n"
      "  Prefix / -> default/web:80 (default/paths)";
  // The same paths in three orders give the same routes.
  const int orders[][6] = {{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {3, 0, 5, 1, 4, 2}};
  for (const auto& order : orders) {
    std::vector<std::string> paths;
    for (int i : order) paths.push_back(paths_in_order[i]);
    cases.push_back(Case{
        "PathTypesAndPrecedence",
        absl::StrCat(
            kOurClass, kWebService,
            Ingress("paths", "",
                    "  ingressClassName: gatehouse\n  rules: [{host: EXAMPLE.com, http: {paths: [" +
                        absl::StrJoin(paths, ", ") + "]}}]")),
        expected_paths, "default/paths ACCEPTED"});
  }
  cases.push_back(Case{
      "PortByNameAndNumberAndMissing",
      absl::StrCat(kOurClass, kWebService, Ingress("ports", "", R"(  ingressClassName: gatehouse
  rules:
  - host: a.com
    http:
      paths:
      - {path: /by-name, pathType: Exact, backend: {service: {name: web, port: {name: admin}}}}
      - {path: /by-number, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /no-port, pathType: Exact, backend: {service: {name: web, port: {name: grpc}}}}
      - {path: /no-number, pathType: Exact, backend: {service: {name: web, port: {number: 81}}}}
      - {path: /no-service, pathType: Exact, backend: {service: {name: api, port: {number: 80}}}}
      - {path: /resource, pathType: Exact, backend: {resource: {kind: Bucket, name: b}}})")),
      "a.com\n"
      "  Exact /no-service -> default/api:80 (default/ports)\n"
      "  Exact /by-number -> default/web:80 (default/ports)\n"
      "  Exact /no-number -> default/web:81 (default/ports)\n"
      "  Exact /by-name -> default/web:9000 (default/ports)\n"
      "  Exact /no-port -> default/web:grpc (default/ports)",
      "default/ports PARTLY_ACCEPTED\n"
      "  rules[0].http.paths[2]: service default/web has no port named \"grpc\" (no endpoints)\n"
      "  rules[0].http.paths[3]: service default/web has no port 81 (no endpoints)\n"
      "  rules[0].http.paths[4]: service default/api does not exist (no endpoints)\n"
      "  rules[0].http.paths[5]: resource backends (Bucket b) are not supported"});
  cases.push_back(Case{
      "ConflictGoesToTheOldest",
      absl::StrCat(
          kOurClass, kWebService, R"(
apiVersion: v1
kind: Service
metadata: {name: api, namespace: team}
spec: {ports: [{port: 80}]}
---
)",
          Ingress("young", "creationTimestamp: \"2024-05-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: [{path: /, "
                  "pathType: Prefix, backend: " +
                      kBackendWeb + "}, {path: /y, pathType: Prefix, backend: " + kBackendWeb +
                      "}]}}]"),
          Ingress("old", "namespace: team, creationTimestamp: \"2023-01-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  rules: [{host: A.com, http: {paths: [{path: /, "
                  "pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]"),
          Ingress("loser", "creationTimestamp: \"2024-06-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: [{path: "
                  "/y/, pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]")),
      "a.com\n"
      "  Prefix /y -> default/web:80 (default/young)\n"
      "  Prefix / -> team/api:80 (team/old)",
      "default/loser REJECTED\n"
      "  rules[0].http.paths[0]: Prefix /y on host a.com is already served by default/young "
      "(older)\n"
      "default/young PARTLY_ACCEPTED\n"
      "  rules[0].http.paths[0]: Prefix / on host a.com is already served by team/old (older)\n"
      "team/old ACCEPTED"});
  // --host-ownership=first-namespace: the namespace of the oldest Ingress naming a host owns it;
  // younger Ingresses of that namespace add to it, other namespaces' are refused, with why.
  TranslateOptions first_namespace;
  first_namespace.host_ownership = HostOwnership::kFirstNamespace;
  cases.push_back(Case{
      "FirstNamespaceOwnsTheHost",
      absl::StrCat(
          kOurClass, kWebService, R"(
apiVersion: v1
kind: Service
metadata: {name: api, namespace: team}
spec: {ports: [{port: 80}]}
---
)",
          Ingress("old", "namespace: team, creationTimestamp: \"2023-01-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: [{path: /, "
                  "pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]"),
          Ingress(
              "sibling", "namespace: team, creationTimestamp: \"2025-01-01T00:00:00Z\"",
              "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: [{path: "
              "/v2, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]"),
          Ingress("intruder", "creationTimestamp: \"2024-05-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  rules: [{host: A.com, http: {paths: [{path: "
                  "/admin, pathType: Prefix, backend: " +
                      kBackendWeb +
                      "}]}}, {host: b.com, http: {paths: [{path: /, pathType: "
                      "Prefix, backend: " +
                      kBackendWeb + "}]}}]")),
      "a.com\n"
      "  Prefix /v2 -> team/api:80 (team/sibling)\n"
      "  Prefix / -> team/api:80 (team/old)\n"
      "b.com\n"
      "  Prefix / -> default/web:80 (default/intruder)",
      "default/intruder PARTLY_ACCEPTED\n"
      "  rules[0]: host a.com belongs to namespace team, whose Ingress named it first "
      "(--host-ownership=first-namespace)\n"
      "team/old ACCEPTED\n"
      "team/sibling ACCEPTED",
      first_namespace});
  TranslateOptions with_default;
  with_default.default_backend = BackendRef{"default", "web", 0, "http"};
  cases.push_back(Case{
      "DefaultBackends",
      absl::StrCat(
          kOurClass, kWebService, R"(
apiVersion: v1
kind: Service
metadata: {name: fallback}
spec: {ports: [{port: 8080}]}
---
)",
          Ingress("first", "creationTimestamp: \"2023-01-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  defaultBackend: {service: {name: fallback, "
                  "port: {number: 8080}}}\n  rules: [{host: a.com, http: {paths: [{path: /a, "
                  "pathType: Prefix, backend: " +
                      kBackendWeb + "}]}}]"),
          Ingress(
              "second", "creationTimestamp: \"2024-01-01T00:00:00Z\"",
              "  ingressClassName: gatehouse\n  defaultBackend: {service: {name: web, port: "
              "{number: 80}}}\n  rules: [{host: a.com}, {host: b.com}, {host: \"*.wild.com\"}]"),
          Ingress("third", "creationTimestamp: \"2025-01-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  defaultBackend: {service: {name: web, port: "
                  "{number: 80}}}\n  rules: [{host: a.com}]"),
          Ingress("hostless", "creationTimestamp: \"2025-01-01T00:00:00Z\"",
                  "  ingressClassName: gatehouse\n  rules: [{host: c.com}, {http: {paths: [{path: "
                  "/x, pathType: Exact, backend: " +
                      kBackendWeb + "}]}}]")),
      "a.com default=default/fallback:8080\n"
      "  Prefix /a -> default/web:80 (default/first)\n"
      "b.com default=default/web:80\n"
      "c.com default=default/web:80\n"
      "*.wild.com default=default/web:80\n"
      "* default=default/fallback:8080\n"
      "  Exact /x -> default/web:80 (default/hostless)",
      "default/first ACCEPTED\n"
      "default/hostless ACCEPTED\n"
      "default/second ACCEPTED\n"
      "default/third REJECTED\n"
      "  defaultBackend: not used, older Ingresses already set the default of all its hosts",
      with_default});
  cases.push_back(Case{"ControllerDefaultAloneMakesTheAnyHost", std::string(kWebService),
                       "* default=default/web:80", "", with_default});
  cases.push_back(Case{"NothingOursMeansNoHosts", std::string(kWebService), "", ""});
  cases.push_back(Case{"UnservableBackendsAndBadInput",
                       absl::StrCat(kOurClass, R"(
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.org}
---
)",
                                    Ingress("bad", "", R"(  ingressClassName: gatehouse
  rules:
  - host: "a.com:80"
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: ext, port: {number: 80}}}}]}
  - host: b.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: ext, port: {number: 80}}}}
      - {path: x, pathType: Exact, backend: {service: {name: ext, port: {number: 80}}}}
      - {path: /, pathType: Regex, backend: {service: {name: ext, port: {number: 80}}}})"),
                                    Ingress("empty", "", "  ingressClassName: gatehouse")),
                       "b.com",
                       "default/bad REJECTED\n"
                       "  rules[0]: host \"a.com:80\" is not a DNS name (a wildcard may only be a "
                       "leading \"*.\"; no port, no IP)\n"
                       "  rules[1].http.paths[0]: service default/ext is of type ExternalName, "
                       "which is not supported\n"
                       "  rules[1].http.paths[1]: path \"x\" does not start with /\n"
                       "  rules[1].http.paths[2]: pathType \"Regex\" is not Exact, Prefix or "
                       "ImplementationSpecific\n"
                       "default/empty REJECTED\n"
                       "  no rules and no defaultBackend"});
  cases.push_back(Case{
      "BodySizeAnnotationsLimitTheirOwnIngressOnly",
      absl::StrCat(
          kOurClass, kWebService,
          Ingress("ours", "annotations: {gatehouse.dev/proxy-body-size: 1m}",
                  absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: a.com, http: "
                               "{paths: [{path: /, pathType: Prefix, backend: ",
                               kBackendWeb, "}]}}]")),
          Ingress("nginx", "annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 8K}",
                  absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: b.com, http: "
                               "{paths: [{path: /, pathType: Prefix, backend: ",
                               kBackendWeb, "}]}}]")),
          Ingress("both",
                  "annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 8k, "
                  "gatehouse.dev/proxy-body-size: \"100\"}",
                  absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: c.com, http: "
                               "{paths: [{path: /, pathType: Prefix, backend: ",
                               kBackendWeb, "}]}}]")),
          Ingress("bad", "annotations: {gatehouse.dev/proxy-body-size: ten}",
                  absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: d.com, http: "
                               "{paths: [{path: /, pathType: Prefix, backend: ",
                               kBackendWeb, "}]}}]")),
          Ingress("none", "",
                  absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: a.com, http: "
                               "{paths: [{path: /free, pathType: Prefix, backend: ",
                               kBackendWeb, "}]}}]"))),
      "a.com\n"
      "  Prefix /free -> default/web:80 (default/none)\n"
      "  Prefix / -> default/web:80 (default/ours) body<=1048576\n"
      "b.com\n"
      "  Prefix / -> default/web:80 (default/nginx) body<=8192\n"
      "c.com\n"
      "  Prefix / -> default/web:80 (default/both) body<=100\n"
      "d.com\n"
      "  Prefix / -> default/web:80 (default/bad)",
      "default/bad PARTLY_ACCEPTED\n"
      "  annotation gatehouse.dev/proxy-body-size: \"ten\" is not a size (digits, then k, m or "
      "g); no limit applies\n"
      "default/both ACCEPTED\n"
      "default/nginx ACCEPTED\n"
      "default/none ACCEPTED\n"
      "default/ours ACCEPTED"});
  auto lb_ingress = [](absl::string_view name, absl::string_view annotations,
                       absl::string_view host) {
    return Ingress(name, absl::StrCat("annotations: {", annotations, "}"),
                   absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: ", host,
                                ", http: {paths: [{path: /, pathType: Prefix, backend: ",
                                kBackendWeb, "}]}}]"));
  };
  cases.push_back(Case{
      "LoadBalancingAnnotations",
      absl::StrCat(
          kOurClass, kWebService,
          lb_ingress("lr", "gatehouse.dev/load-balance: least_request", "a.com"),
          lb_ingress("ewma", "nginx.ingress.kubernetes.io/load-balance: ewma", "b.com"),
          lb_ingress("ip", "nginx.ingress.kubernetes.io/upstream-hash-by: $remote_addr", "c.com"),
          lb_ingress("header", "nginx.ingress.kubernetes.io/upstream-hash-by: $http_x_user_id",
                     "d.com"),
          lb_ingress("cookie",
                     "gatehouse.dev/affinity: cookie, "
                     "gatehouse.dev/session-cookie-max-age: \"60\"",
                     "e.com"),
          lb_ingress("named",
                     "nginx.ingress.kubernetes.io/affinity: cookie, "
                     "nginx.ingress.kubernetes.io/session-cookie-name: sticky",
                     "f.com"),
          lb_ingress("bad",
                     "gatehouse.dev/load-balance: fastest, "
                     "gatehouse.dev/upstream-hash-by: $request_uri",
                     "g.com")),
      "a.com\n  Prefix / -> default/web:80 (default/lr) lb=LEAST_REQUEST\n"
      "b.com\n  Prefix / -> default/web:80 (default/ewma) lb=LEAST_REQUEST\n"
      "c.com\n  Prefix / -> default/web:80 (default/ip) lb=CONSISTENT_HASH client-ip\n"
      "d.com\n  Prefix / -> default/web:80 (default/header) lb=CONSISTENT_HASH header:x-user-id\n"
      "e.com\n  Prefix / -> default/web:80 (default/cookie) lb=CONSISTENT_HASH "
      "cookie:INGRESSCOOKIE max-age:60\n"
      "f.com\n  Prefix / -> default/web:80 (default/named) lb=CONSISTENT_HASH cookie:sticky\n"
      "g.com\n  Prefix / -> default/web:80 (default/bad)",
      "default/bad PARTLY_ACCEPTED\n"
      "  annotation gatehouse.dev/load-balance: \"fastest\" is not round_robin or "
      "least_request; using round_robin\n"
      "  annotation gatehouse.dev/upstream-hash-by: \"$request_uri\" is not $remote_addr, "
      "$http_NAME or $cookie_NAME; no hashing applies\n"
      "default/cookie ACCEPTED\n"
      "default/ewma ACCEPTED\n"
      "default/header ACCEPTED\n"
      "default/ip ACCEPTED\n"
      "default/lr ACCEPTED\n"
      "default/named ACCEPTED"});
  return cases;
}

// A tenant's annotation values reach Set-Cookie, a header lookup, TLS SNI and reports: each is
// checked where it is read, refused alone with a reason, and quoted escaped in that reason.
TEST(TranslateAnnotationsTest, HostileValuesAreRefusedAloneAndQuotedEscaped) {
  auto ingress = AnnotatedIngress;
  std::string yaml = absl::StrCat(
      kOurClass, kWebService,
      // Response splitting through the affinity cookie's name.
      ingress("split",
              "nginx.ingress.kubernetes.io/affinity: cookie, "
              "nginx.ingress.kubernetes.io/session-cookie-name: \"s\\r\\nSet-Cookie: x=1\"",
              "a.com"),
      ingress("header", "nginx.ingress.kubernetes.io/upstream-hash-by: \"$http_x\\ny\"", "b.com"),
      ingress("cookie", "gatehouse.dev/upstream-hash-by: \"$cookie_a;b\"", "c.com"),
      ingress("long", absl::StrCat("gatehouse.dev/load-balance: ", std::string(300, 'x')),
              "d.com"));
  TranslateResult result = Translate(World(yaml), {});
  EXPECT_EQ(RenderRoutes(result),
            "a.com\n  Prefix / -> default/web:80 (default/split)\n"
            "b.com\n  Prefix / -> default/web:80 (default/header)\n"
            "c.com\n  Prefix / -> default/web:80 (default/cookie)\n"
            "d.com\n  Prefix / -> default/web:80 (default/long)");
  EXPECT_EQ(RenderReports(result),
            absl::StrCat(
                "default/cookie PARTLY_ACCEPTED\n"
                "  annotation gatehouse.dev/upstream-hash-by: \"$cookie_a;b\" is not $remote_addr, "
                "$http_NAME or $cookie_NAME; no hashing applies\n"
                "default/header PARTLY_ACCEPTED\n"
                "  annotation nginx.ingress.kubernetes.io/upstream-hash-by: \"$http_x\\ny\" is not "
                "$remote_addr, $http_NAME or $cookie_NAME; no hashing applies\n"
                "default/long PARTLY_ACCEPTED\n"
                "  annotation gatehouse.dev/load-balance: \"",
                std::string(128, 'x'),
                "\"... (300 bytes) is not round_robin or least_request; using round_robin\n"
                "default/split PARTLY_ACCEPTED\n"
                "  annotation nginx.ingress.kubernetes.io/session-cookie-name: "
                "\"s\\r\\nSet-Cookie: x=1\" is not a cookie name (letters, digits and "
                "!#$%&'*+-.^_`|~); no affinity applies"));
}

// The regex budget of common/path_regex.h, applied before publishing exactly as a data plane
// applies it: the pattern compiled case-insensitively (ingress-nginx's "~*"), its program size,
// and the regex paths one host may have. What is over it is refused alone, with the reason.
TEST(TranslateRegexTest, PathsOverTheRegexBudgetAreRefusedAlone) {
  std::string paths;
  for (size_t i = 0; i <= kMaxRegexPathsPerHost; ++i) {
    absl::StrAppend(&paths, "{path: \"/r", i,
                    "/.*\", pathType: ImplementationSpecific, backend: ", kBackendWeb, "},");
  }
  std::string yaml = absl::StrCat(
      kOurClass, kWebService,
      Ingress("big", "annotations: {nginx.ingress.kubernetes.io/use-regex: \"true\"}",
              absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: ["
                           "{path: \"/[a-z]{40}\", pathType: ImplementationSpecific, backend: ",
                           kBackendWeb,
                           "}, {path: \"/ok/[0-9]+\", pathType: ImplementationSpecific, backend: ",
                           kBackendWeb, "}]}}]")),
      Ingress("many", "annotations: {nginx.ingress.kubernetes.io/use-regex: \"true\"}",
              absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: b.com, http: {paths: [",
                           paths, "]}}]")));
  TranslateResult result = Translate(World(yaml), {});
  std::string routes = RenderRoutes(result);
  EXPECT_NE(routes.find("Regex /ok/[0-9]+ -> default/web:80 (default/big)"), std::string::npos)
      << routes;
  EXPECT_NE(routes.find("Regex /r31/.* -> default/web:80 (default/many)"), std::string::npos)
      << routes;
  EXPECT_EQ(routes.find("/r32/"), std::string::npos) << routes;
  EXPECT_EQ(RenderReports(result),
            "default/big PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[0]: path regex \"/[a-z]{40}\" compiles to 245 RE2 "
            "instructions, more than the limit of 200 (--max-regex-program-size)\n"
            "default/many PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[32]: host b.com already has 32 regex paths, the most one host "
            "may have");
}

INSTANTIATE_TEST_SUITE_P(Tables, TranslateTableTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           return absl::StrCat(info.param.name, "_", info.index);
                         });

TEST(TranslateEndpointsTest, SlicesMergedDeduplicatedAndPortsPicked) {
  TranslateResult result =
      Translate(World(absl::StrCat(kOurClass, R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: plain}
spec: {ports: [{port: 80, targetPort: 3000}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-a, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: metrics, port: 9090}, {name: http, port: 8080}]
endpoints:
- addresses: [10.0.0.2]
- addresses: [10.0.0.1]
  conditions: {ready: false, serving: true, terminating: true}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-b, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.0.0.2, 10.0.0.3]
  conditions: {ready: false, serving: false}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-v6, labels: {kubernetes.io/service-name: web}}
addressType: IPv6
ports: [{name: http, port: 8080}]
endpoints: [{addresses: ["fd00::1"]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-fqdn, labels: {kubernetes.io/service-name: web}}
addressType: FQDN
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [pod.example.org]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: other-ns, namespace: other, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.9.9.9]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: plain-a, labels: {kubernetes.io/service-name: plain}}
addressType: IPv4
ports: [{port: 3001}]
endpoints: [{addresses: [10.1.0.1]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: plain-b, labels: {kubernetes.io/service-name: plain}}
addressType: IPv4
endpoints: [{addresses: [10.1.0.2]}]
---
)",
                                   Ingress("i", "", R"(  ingressClassName: gatehouse
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /p, pathType: Prefix, backend: {service: {name: plain, port: {number: 80}}}}
      - {path: /m, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}})"))),
                {});
  EXPECT_EQ(RenderEndpoints(result),
            "default/missing:80: -\n"
            "default/plain:80: 10.1.0.1:3001 RS\n"
            "default/plain:80: 10.1.0.2:3000 RS\n"
            "default/web:80: 10.0.0.1:8080 ST\n"
            "default/web:80: 10.0.0.2:8080 RS\n"
            "default/web:80: 10.0.0.3:8080 \n"
            "default/web:80: fd00::1:8080 RS");
}

TEST(TranslateTest, DeterministicWhateverTheInsertionOrder) {
  std::string yaml = absl::StrCat(kOurClass, kWebService,
                                  Ingress("a", "",
                                          "  ingressClassName: gatehouse\n  rules: [{host: x.com, "
                                          "http: {paths: [{path: /a, pathType: Prefix, backend: " +
                                              kBackendWeb + "}]}}]"),
                                  Ingress("b", "",
                                          "  ingressClassName: gatehouse\n  rules: [{host: x.com, "
                                          "http: {paths: [{path: /a, pathType: Prefix, backend: " +
                                              kBackendWeb + "}]}}]"));
  source::ParsedManifests parsed = source::ParseManifests(yaml, "t.yaml", {});
  objects::ObjectStore forward;
  objects::ObjectStore backward;
  for (const auto& object : parsed.objects) forward.Upsert(object);
  for (auto it = parsed.objects.rbegin(); it != parsed.objects.rend(); ++it) backward.Upsert(*it);
  TranslateResult a = Translate(forward, {});
  TranslateResult b = Translate(backward, {});
  EXPECT_EQ(RenderRoutes(a), RenderRoutes(b));
  EXPECT_EQ(RenderReports(a), RenderReports(b));
  // Same age: namespace/name decides, so "a" wins.
  EXPECT_EQ(RenderRoutes(a), "x.com\n  Prefix /a -> default/web:80 (default/a)");
  ASSERT_EQ(a.resources.route_configs.size(), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a.resources.route_configs[0],
                                                                 b.resources.route_configs[0]));
}

TEST(TranslateTest, ControllerDefaultBackendProblemIsAWarning) {
  TranslateOptions options;
  options.default_backend = BackendRef{"ops", "fallback", 8080, ""};
  TranslateResult result = Translate(World(""), options);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0],
            "--default-backend: service ops/fallback does not exist (no endpoints)");
  EXPECT_EQ(RenderRoutes(result), "* default=ops/fallback:8080");
  EXPECT_EQ(RenderEndpoints(result), "ops/fallback:8080: -");
}

// A kubernetes.io/tls Secret as YAML, its PEM in data (base64, as the API has it).
std::string TlsSecret(absl::string_view name, const std::string& crt, const std::string& key) {
  return absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata: {name: ", name,
                      "}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ", absl::Base64Escape(crt),
                      "\n  tls.key: ", absl::Base64Escape(key), "\n---\n");
}

TEST(TranslateTlsTest, SecretsServeTheirHostsAndProblemsAreReported) {
  EVP_PKEY* key = testing_certificates::NewKey(false);
  EVP_PKEY* other = testing_certificates::NewKey(false);
  std::string crt = testing_certificates::Certificate(key, "a.com");
  std::string pem_key = testing_certificates::Pkcs8(key);
  auto tls_ingress = [](absl::string_view name, absl::string_view tls, absl::string_view host) {
    return Ingress(
        name, "",
        absl::StrCat("  ingressClassName: gatehouse\n  tls: ", tls, "\n  rules: [{host: ", host,
                     ", http: {paths: [{path: /, pathType: Prefix, "
                     "backend: {service: {name: web, port: {number: 80}}}}]}}]"));
  };
  std::string yaml =
      absl::StrCat(kOurClass, kWebService, TlsSecret("good", crt, pem_key),
                   TlsSecret("mismatched", crt, testing_certificates::Pkcs8(other)),
                   tls_ingress("a", "[{hosts: [a.com, \"*.a.com\"], secretName: good}]", "a.com"),
                   tls_ingress("b", "[{secretName: good}]", "b.com"),  // no hosts: the rule hosts
                   tls_ingress("c", "[{hosts: [c.com], secretName: missing}]", "c.com"),
                   tls_ingress("d", "[{hosts: [d.com], secretName: mismatched}]", "d.com"));
  TranslateResult result = Translate(World(yaml), {});
  ASSERT_EQ(result.resources.listeners.size(), 2u);
  const gatehouse::v1::Listener& https = result.resources.listeners[1];
  ASSERT_EQ(https.certificates_size(), 1);
  EXPECT_EQ(https.certificates(0).name(), "default/good");
  EXPECT_EQ(std::vector<std::string>(https.certificates(0).server_names().begin(),
                                     https.certificates(0).server_names().end()),
            (std::vector<std::string>{"*.a.com", "a.com", "b.com"}));
  EXPECT_EQ(https.certificates(0).certificate_chain(), crt);
  EXPECT_EQ(https.certificates(0).private_key(), pem_key);
  EXPECT_EQ(RenderReports(result),
            "default/a ACCEPTED\n"
            "default/b ACCEPTED\n"
            "default/c PARTLY_ACCEPTED\n"
            "  tls[0]: secret default/missing does not exist; its hosts are served over plain "
            "HTTP only\n"
            "default/d PARTLY_ACCEPTED\n"
            "  tls[0]: secret default/mismatched tls.key is not the key of the certificate in "
            "tls.crt; its hosts are served over plain HTTP only");
  // Each served certificate's expiry is in its Ingress's report; a refused Secret has none.
  ASSERT_EQ(result.reports.size(), 4u);
  ASSERT_EQ(result.reports[0].certificates.size(), 1u);
  EXPECT_EQ(result.reports[0].certificates[0].where, "tls[0]");
  EXPECT_EQ(result.reports[0].certificates[0].secret, "default/good");
  EXPECT_GT(result.reports[0].certificates[0].not_after, absl::Now());
  EXPECT_LT(result.reports[0].certificates[0].not_after, absl::Now() + absl::Hours(24 * 3650));
  EXPECT_TRUE(result.reports[2].certificates.empty());
  // The hosts of the broken Secrets are still routed, and only hosts with a certificate
  // redirect plain HTTP and send HSTS.
  EXPECT_THAT(RenderRoutes(result), ::testing::HasSubstr("d.com"));
  // The TLS filters come first in every chain of the host: its routes' and its default's.
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    bool secured = vhost.name() == "a.com" || vhost.name() == "b.com";
    std::string tls = secured ? "https_redirect,strict_transport_security="
                                "max-age=31536000; includeSubDomains,"
                              : "";
    EXPECT_EQ(FilterNames(vhost.filters()), tls + "forwarding_headers") << vhost.name();
    ASSERT_GT(vhost.routes_size(), 0) << vhost.name();
    for (const auto& route : vhost.routes()) {
      EXPECT_EQ(FilterNames(route.filters()), tls + "forwarding_headers") << vhost.name();
    }
  }
  EVP_PKEY_free(key);
  EVP_PKEY_free(other);
}

// With first-namespace ownership a namespace cannot attach its certificate (and so HSTS and the
// HTTPS redirect) to another namespace's host, even naming it only in spec.tls.
TEST(TranslateTlsTest, FirstNamespaceOwnershipKeepsOtherNamespacesCertificatesOffAHost) {
  EVP_PKEY* key = testing_certificates::NewKey(false);
  std::string crt = testing_certificates::Certificate(key, "a.com");
  std::string pem_key = testing_certificates::Pkcs8(key);
  std::string owner =
      Ingress("owner", "namespace: team, creationTimestamp: \"2023-01-01T00:00:00Z\"",
              "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: "
              "{paths: [{path: /, pathType: Prefix, backend: {service: {name: "
              "web, port: {number: 80}}}}]}}]");
  std::string intruder = Ingress(
      "intruder", "creationTimestamp: \"2024-01-01T00:00:00Z\"",
      "  ingressClassName: gatehouse\n  tls: [{hosts: [a.com, c.com], secretName: good}]\n"
      "  rules: [{host: c.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: "
      "{name: web, port: {number: 80}}}}]}}]");
  std::string yaml =
      absl::StrCat(kOurClass, kWebService, TlsSecret("good", crt, pem_key), owner, intruder);
  TranslateOptions options;
  options.host_ownership = HostOwnership::kFirstNamespace;
  TranslateResult result = Translate(World(yaml), options);
  const gatehouse::v1::Listener& https = result.resources.listeners[1];
  ASSERT_EQ(https.certificates_size(), 1);
  EXPECT_EQ(std::vector<std::string>(https.certificates(0).server_names().begin(),
                                     https.certificates(0).server_names().end()),
            (std::vector<std::string>{"c.com"}));
  EXPECT_EQ(RenderReports(result),
            "default/intruder PARTLY_ACCEPTED\n"
            "  tls[0]: host a.com belongs to namespace team, whose Ingress named it first "
            "(--host-ownership=first-namespace)\n"
            "team/owner PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[0]: service team/web does not exist (no endpoints)");
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    if (vhost.name() == "a.com") {
      EXPECT_EQ(FilterNames(vhost.filters()), "forwarding_headers");
    }
  }
  // Shared (the default): the same objects put the certificate on a.com.
  TranslateResult shared = Translate(World(yaml), {});
  ASSERT_EQ(shared.resources.listeners[1].certificates_size(), 1);
  EXPECT_EQ(shared.resources.listeners[1].certificates(0).server_names_size(), 2);
  EVP_PKEY_free(key);
}

// The redirect annotations, as ingress-nginx documents them (user-guide/nginx-configuration/
// annotations: Permanent Redirect, Temporal Redirect, App Root, Redirect from/to www, Server-side
// HTTPS enforcement) and its e2e tests check them: temporal wins over permanent, codes 300 to
// 308, a bad value refused alone with its reason.
TEST(TranslateRedirectsTest, AnnotationsBecomeRedirectFiltersFirstInTheChain) {
  auto ingress = AnnotatedIngress;
  const std::string n = "nginx.ingress.kubernetes.io/";
  std::string yaml = absl::StrCat(
      kOurClass, kWebService,
      ingress("permanent", n + "permanent-redirect: \"https://new.test$request_uri\"", "a.com"),
      ingress(
          "coded",
          n + "permanent-redirect: \"https://new.test\", " + n + "permanent-redirect-code: \"308\"",
          "b.com"),
      ingress("both",
              n + "permanent-redirect: \"https://p.test\", " + n +
                  "temporal-redirect: \"https://t.test\", " + n + "temporal-redirect-code: \"307\"",
              "c.com"),
      ingress("bad",
              n + "permanent-redirect: \"ftp://x.test\", " + n +
                  "temporal-redirect: \"https://t.test$remote_addr\", " + n +
                  "app-root: \"app\", " + n + "force-ssl-redirect: \"yes\"",
              "d.com"),
      ingress("badcode",
              n + "temporal-redirect: \"https://t.test\", " + n + "temporal-redirect-code: \"200\"",
              "e.com"),
      ingress("root", n + "app-root: /app, " + n + "force-ssl-redirect: \"true\"", "f.com"),
      ingress("www", n + "from-to-www-redirect: \"true\"", "www.g.com"),
      ingress("bare", n + "from-to-www-redirect: \"true\"", "h.com"),
      ingress("taken", n + "from-to-www-redirect: \"true\"", "i.com"),
      ingress("owner-of-www-i", "", "www.i.com"));
  TranslateResult result = Translate(World(yaml), {});
  std::map<std::string, std::string> chains;  // host -> its route's chain, or the host's own
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    chains[vhost.name()] = vhost.routes_size() > 0 ? FilterNames(vhost.routes(0).filters())
                                                   : "host:" + FilterNames(vhost.filters());
  }
  EXPECT_EQ(chains["a.com"], "redirect=301 https://new.test$request_uri,forwarding_headers");
  EXPECT_EQ(chains["b.com"], "redirect=308 https://new.test,forwarding_headers");
  EXPECT_EQ(chains["c.com"], "redirect=307 https://t.test,forwarding_headers");
  EXPECT_EQ(chains["d.com"], "forwarding_headers");
  EXPECT_EQ(chains["e.com"], "redirect=302 https://t.test,forwarding_headers");
  EXPECT_EQ(chains["f.com"], "https_redirect,app_root=/app,forwarding_headers");
  EXPECT_EQ(chains["g.com"], "host:host_redirect=308 www.g.com,forwarding_headers");
  EXPECT_EQ(chains["www.h.com"], "host:host_redirect=308 h.com,forwarding_headers");
  EXPECT_EQ(chains["www.i.com"], "forwarding_headers");  // served by its own rules
  std::string reports = RenderReports(result);
  EXPECT_THAT(reports,
              ::testing::HasSubstr("default/bad PARTLY_ACCEPTED\n"
                                   "  annotation nginx.ingress.kubernetes.io/temporal-redirect: "
                                   "\"https://t.test$remote_addr\" $remote_addr is not one of "
                                   "$request_uri, $uri, $args, $host and $scheme; not "
                                   "redirecting\n"
                                   "  annotation nginx.ingress.kubernetes.io/permanent-redirect: "
                                   "\"ftp://x.test\" is not an absolute http:// or https:// URL; "
                                   "not redirecting\n"
                                   "  annotation nginx.ingress.kubernetes.io/app-root: \"app\" is "
                                   "not an absolute path; no app-root redirect\n"
                                   "  annotation nginx.ingress.kubernetes.io/force-ssl-redirect: "
                                   "\"yes\" is not true or false\n"));
  EXPECT_THAT(reports, ::testing::HasSubstr(
                           "default/badcode PARTLY_ACCEPTED\n"
                           "  annotation nginx.ingress.kubernetes.io/temporal-redirect-code: "
                           "\"200\" is not a redirect code from 300 to 308; using 302\n"));
  EXPECT_THAT(reports, ::testing::HasSubstr(
                           "default/taken PARTLY_ACCEPTED\n"
                           "  annotation from-to-www-redirect: host www.i.com is served by its "
                           "own rules; it is not redirected to i.com\n"));
  EXPECT_THAT(reports, ::testing::HasSubstr("default/both ACCEPTED\n"));
}

// The header annotations: ingress-nginx's x-forwarded-prefix and upstream-vhost (annotation
// documentation: "X-Forwarded-Prefix Header", "Custom Upstream vhost"), our request-headers and
// response-headers, and the snippets, which are never interpreted and always reported.
TEST(TranslateHeadersTest, AnnotationsBecomeHeaderFiltersAndSnippetsAreRefused) {
  auto ingress = AnnotatedIngress;
  const std::string n = "nginx.ingress.kubernetes.io/";
  std::string yaml = absl::StrCat(
      kOurClass, kWebService,
      ingress("prefix", n + "x-forwarded-prefix: /api, " + n + "upstream-vhost: Backend.Internal",
              "a.com"),
      ingress("maps",
              "gatehouse.dev/request-headers: \"X-Env: prod\\nX-Team: shop\", "
              "gatehouse.dev/response-headers: \"X-Frame-Options: DENY\"",
              "b.com"),
      ingress("bad",
              "gatehouse.dev/request-headers: \"Host: evil.test\", "
              "gatehouse.dev/response-headers: \"[not, a, map]\", " +
                  n + "upstream-vhost: \"a.test\\r\\nX: 1\", " + n +
                  "x-forwarded-prefix: \"/a\\u0000\", " + n +
                  "configuration-snippet: \"more_set_headers 'X-A: 1';\"",
              "c.com"));
  TranslateResult result = Translate(World(yaml), {});
  std::map<std::string, std::string> chains;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    chains[vhost.name()] = FilterNames(vhost.routes(0).filters());
  }
  EXPECT_EQ(chains["a.com"],
            "forwarding_headers,request_header_modifier=X-Forwarded-Prefix:/api,"
            "upstream_host=backend.internal");
  EXPECT_EQ(chains["b.com"],
            "forwarding_headers,request_header_modifier=X-Env:prod|X-Team:shop,"
            "response_header_modifier=X-Frame-Options:DENY");
  EXPECT_EQ(chains["c.com"], "forwarding_headers");
  EXPECT_THAT(
      RenderReports(result),
      ::testing::HasSubstr(
          "default/bad PARTLY_ACCEPTED\n"
          "  annotation nginx.ingress.kubernetes.io/x-forwarded-prefix: \"/a\\x00\" is not a "
          "valid header value; not sent\n"
          "  annotation gatehouse.dev/request-headers: header \"Host\" may not be set (not a "
          "token, or a framing, hop-by-hop or Host header); no headers set\n"
          "  annotation gatehouse.dev/response-headers: is not a map of header names to values; "
          "no headers set\n"
          "  annotation nginx.ingress.kubernetes.io/upstream-vhost: \"a.test\\r\\nX: 1\" is "
          "not NAME or NAME:PORT; the client's Host is sent\n"
          "  annotation nginx.ingress.kubernetes.io/configuration-snippet: raw nginx "
          "configuration is never interpreted; \"more_set_headers \\\'X-A: 1\\\'\": use "
          "gatehouse.dev/response-headers with \"X-A: 1\"\n"));
}

// rewrite-target (ingress-nginx's annotation documentation, "Rewrite"): it makes the Ingress's
// ImplementationSpecific paths regexes, as use-regex does, and each path rewrites with its own
// groups; a target naming a group its path lacks refuses that path alone.
TEST(TranslateRewriteTest, EachPathRewritesWithItsOwnRegex) {
  std::string yaml = absl::StrCat(
      kOurClass, kWebService,
      Ingress("rewrite", "annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2}",
              absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: "
                           "[{path: \"/something(/|$)(.*)\", pathType: ImplementationSpecific, "
                           "backend: ",
                           kBackendWeb,
                           "}, {path: /one(.*), pathType: ImplementationSpecific, backend: ",
                           kBackendWeb, "}]}}]")),
      Ingress("plain", "annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}",
              absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: b.com, http: {paths: "
                           "[{path: /app, pathType: Prefix, backend: ",
                           kBackendWeb, "}]}}]")));
  TranslateResult result = Translate(World(yaml), {});
  std::vector<std::string> chains;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      chains.push_back(absl::StrCat(vhost.name(), " ", TypeName(route.match().path_type()), " ",
                                    route.match().path(), ": ", FilterNames(route.filters())));
    }
  }
  EXPECT_THAT(chains, ::testing::ElementsAre(
                          "a.com Regex /something(/|$)(.*): rewrite_path=/something(/|$)(.*) "
                          "/$2,forwarding_headers",
                          "b.com Prefix /app: rewrite_path=/app /,forwarding_headers"));
  EXPECT_EQ(RenderReports(result),
            "default/plain ACCEPTED\n"
            "default/rewrite PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[1]: annotation rewrite-target: rewrite target \"/$2\" names "
            "$2 but the path regex has 1 groups; the path is not served");
}

// server-alias (ingress-nginx's annotation documentation, "Server Alias"): more names for the
// Ingress's host, served exactly as it; a name that is a host of its own stays that host's, and
// an alias another (older) Ingress took already stays theirs; both are reported.
TEST(TranslateAliasTest, AliasesJoinTheHostUnlessTheNameIsTaken) {
  const std::string n = "nginx.ingress.kubernetes.io/";
  std::string yaml = absl::StrCat(
      kOurClass, kWebService,
      Ingress("main",
              "creationTimestamp: \"2024-01-01T00:00:00Z\", annotations: {" + n +
                  "server-alias: \"Alias.com, other.com, bad_name, *.wild.com\"}",
              absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: main.com, http: "
                           "{paths: [{path: /, pathType: Prefix, backend: ",
                           kBackendWeb, "}]}}]")),
      Ingress("other", "creationTimestamp: \"2024-02-01T00:00:00Z\"",
              absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: other.com, http: "
                           "{paths: [{path: /, pathType: Prefix, backend: ",
                           kBackendWeb, "}]}}]")),
      Ingress("late",
              "creationTimestamp: \"2024-03-01T00:00:00Z\", annotations: {" + n +
                  "server-alias: alias.com}",
              absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: late.com, http: "
                           "{paths: [{path: /, pathType: Prefix, backend: ",
                           kBackendWeb, "}]}}]")));
  TranslateResult result = Translate(World(yaml), {});
  std::vector<std::string> hosts;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    hosts.push_back(absl::StrJoin(vhost.domains(), " "));
  }
  EXPECT_THAT(hosts,
              ::testing::ElementsAre("late.com", "main.com alias.com *.wild.com", "other.com"));
  EXPECT_EQ(RenderReports(result),
            "default/late PARTLY_ACCEPTED\n"
            "  annotation server-alias: alias.com is a host of its own or another Ingress's "
            "alias; left out\n"
            "default/main PARTLY_ACCEPTED\n"
            "  annotation nginx.ingress.kubernetes.io/server-alias: \"bad_name\" is not a host "
            "name; left out\n"
            "  annotation server-alias: other.com is a host of its own or another Ingress's "
            "alias; left out\n"
            "default/other ACCEPTED");
}

// "cluster protocol [tls verify=... name=... ca=N bytes]" per cluster.
std::string RenderClusters(const TranslateResult& result) {
  std::vector<std::string> lines;
  for (const gatehouse::v1::Cluster& cluster : result.resources.clusters) {
    std::string line = absl::StrCat(cluster.name(), " ",
                                    gatehouse::v1::Cluster::Protocol_Name(cluster.protocol()));
    if (cluster.has_tls()) {
      absl::StrAppend(&line, " tls verify=", cluster.tls().verify() ? "on" : "off",
                      " name=", cluster.tls().server_name());
      if (!cluster.tls().trusted_ca().empty()) {
        absl::StrAppend(&line, " ca=", cluster.tls().trusted_ca().size(), "B");
      }
    }
    lines.push_back(line);
  }
  return absl::StrJoin(lines, "\n");
}

TEST(TranslateUpstreamTest, AppProtocolAndAnnotationsChooseHowBackendsAreReached) {
  std::string yaml = absl::StrCat(
      kOurClass, R"(
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{name: grpc, port: 50051, appProtocol: kubernetes.io/h2c},
               {name: web, port: 80}, {name: tls, port: 443, appProtocol: https}]}
---
apiVersion: v1
kind: Secret
metadata: {name: ca}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: "", ca.crt: Q0E=}
---
apiVersion: v1
kind: Secret
metadata: {name: ca, namespace: other}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: "", ca.crt: Q0E=}
---
)",
      Ingress("plain", "",
              "  ingressClassName: gatehouse\n  rules: [{host: a.com, http: {paths: ["
              "{path: /g, pathType: Prefix, backend: {service: {name: api, port: {name: grpc}}}},"
              "{path: /w, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}},"
              "{path: /t, pathType: Prefix, backend: {service: {name: api, port: {number: 443}}}}"
              "]}}]"),
      Ingress("grpcs",
              "annotations: {nginx.ingress.kubernetes.io/backend-protocol: GRPCS, "
              "nginx.ingress.kubernetes.io/proxy-ssl-verify: \"on\", "
              "nginx.ingress.kubernetes.io/proxy-ssl-secret: default/ca}",
              "  ingressClassName: gatehouse\n  rules: [{host: b.com, http: {paths: ["
              "{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}"
              "]}}]"),
      Ingress("same", "annotations: {gatehouse.dev/backend-protocol: grpc}",
              "  ingressClassName: gatehouse\n  rules: [{host: c.com, http: {paths: ["
              "{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 50051}}}}"
              "]}}]"),
      Ingress("badca",
              "annotations: {gatehouse.dev/backend-protocol: HTTPS, "
              "gatehouse.dev/proxy-ssl-verify: \"on\", gatehouse.dev/proxy-ssl-secret: nope, "
              "gatehouse.dev/proxy-ssl-name: api.internal}",
              "  ingressClassName: gatehouse\n  rules: [{host: d.com, http: {paths: ["
              "{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}"
              "]}}]"),
      // Another namespace's Secret is never read: the same answer whether it exists or not.
      Ingress("foreign",
              "annotations: {gatehouse.dev/backend-protocol: HTTPS, "
              "gatehouse.dev/proxy-ssl-verify: \"on\", "
              "gatehouse.dev/proxy-ssl-secret: other/ca}",
              "  ingressClassName: gatehouse\n  rules: [{host: f.com, http: {paths: ["
              "{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}"
              "]}}]"),
      Ingress("foreign2",
              "annotations: {gatehouse.dev/backend-protocol: HTTPS, "
              "gatehouse.dev/proxy-ssl-verify: \"on\", "
              "gatehouse.dev/proxy-ssl-secret: other/nothing, "
              "gatehouse.dev/proxy-ssl-name: \"api\\r\\n.internal\"}",
              "  ingressClassName: gatehouse\n  rules: [{host: g.com, http: {paths: ["
              "{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}"
              "]}}]"),
      Ingress("typo", "annotations: {gatehouse.dev/backend-protocol: FCGI}",
              "  ingressClassName: gatehouse\n  rules: [{host: e.com, http: {paths: ["
              "{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}"
              "]}}]"));
  TranslateResult result = Translate(World(yaml), {});
  EXPECT_EQ(RenderClusters(result),
            "default/api:443 HTTP1 tls verify=off name=api.default.svc\n"
            "default/api:50051 HTTP2\n"
            "default/api:80 HTTP1\n"
            "default/api:80~grpcs~verify=default/ca HTTP2 tls verify=on name=api.default.svc "
            "ca=2B\n"
            "default/api:80~untrusted=default/nope HTTP1\n"
            "default/api:80~untrusted=refused HTTP1");
  // The untrusted backend's path is kept, with no endpoints to send to.
  EXPECT_THAT(RenderEndpoints(result),
              ::testing::HasSubstr("default/api:80~untrusted=default/nope: -"));
  EXPECT_EQ(RenderReports(result),
            "default/badca PARTLY_ACCEPTED\n"
            "  rules[0].http.paths[0]: proxy-ssl-secret default/nope is not a Secret with a "
            "ca.crt; the backend answers 503 rather than trusting any certificate\n"
            "default/foreign PARTLY_ACCEPTED\n"
            "  annotation gatehouse.dev/proxy-ssl-secret: \"other/ca\" is not a Secret name in "
            "the Ingress's namespace; only that namespace's Secrets are read\n"
            "  rules[0].http.paths[0]: proxy-ssl-secret names no Secret this Ingress may read; "
            "the backend answers 503 rather than trusting any certificate\n"
            "default/foreign2 PARTLY_ACCEPTED\n"
            "  annotation gatehouse.dev/proxy-ssl-secret: \"other/nothing\" is not a Secret name "
            "in the Ingress's namespace; only that namespace's Secrets are read\n"
            "  annotation gatehouse.dev/proxy-ssl-name: \"api\\r\\n.internal\" is not a DNS "
            "name; using the Service's\n"
            "  rules[0].http.paths[0]: proxy-ssl-secret names no Secret this Ingress may read; "
            "the backend answers 503 rather than trusting any certificate\n"
            "default/grpcs ACCEPTED\n"
            "default/plain ACCEPTED\n"
            "default/same ACCEPTED\n"
            "default/typo PARTLY_ACCEPTED\n"
            "  annotation gatehouse.dev/backend-protocol: \"FCGI\" is not HTTP, HTTPS, GRPC, GRPCS "
            "or H2C; using the Service port's protocol");
}

TEST(ParseSizeTest, NginxSizes) {
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("1024"), 1024u);
  EXPECT_EQ(*ParseSize("8k"), 8192u);
  EXPECT_EQ(*ParseSize("8K"), 8192u);
  EXPECT_EQ(*ParseSize(" 1m "), 1048576u);
  EXPECT_EQ(*ParseSize("2g"), 2147483648u);
  for (const char* bad : {"", "k", "-1", "1.5m", "1mb", "ten", "1 m", "99999999999999999999"}) {
    EXPECT_FALSE(ParseSize(bad).ok()) << bad;
  }
}

TEST(ParseBackendRefTest, Formats) {
  auto by_number = ParseBackendRef("ops/fallback:8080");
  ASSERT_TRUE(by_number.ok());
  EXPECT_EQ(*by_number, (BackendRef{"ops", "fallback", 8080, ""}));
  auto by_name = ParseBackendRef("ops/fallback:http");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(*by_name, (BackendRef{"ops", "fallback", 0, "http"}));
  for (const char* bad : {"fallback:80", "ops/fallback", "ops/:80", "ops/fallback:0",
                          "ops/fallback:70000", "Ops/fallback:80", "ops/fallback:Http"}) {
    EXPECT_FALSE(ParseBackendRef(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
