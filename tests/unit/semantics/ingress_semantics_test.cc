// Ingress semantics end to end inside one process: manifests are parsed and translated by the
// control plane's code, the resulting route configuration is built into the data plane's
// RouteTable, and requests are matched against it. The tables are the Kubernetes
// documentation's own examples (concepts/services-networking/ingress: "Examples" of path
// matching and "Hostname wildcards"), row by row, plus the precedence and regex rules of
// docs/design.md.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/translate/translate.h"
#include "dataplane/router/route_table.h"
#include "gtest/gtest.h"

namespace gatehouse {
namespace {

struct Path {
  const char* type;
  const char* path;
  const char* service;
};

std::string ServiceYaml(const std::string& name) {
  return absl::StrCat("apiVersion: v1\nkind: Service\nmetadata: {name: ", name,
                      "}\nspec: {ports: [{port: 80}]}\n---\n");
}

std::string IngressYaml(const std::string& name, const std::string& host,
                        const std::vector<Path>& paths, const std::string& annotations = "",
                        const std::string& created = "2026-01-01T00:00:00Z",
                        bool with_default_backend = true) {
  std::string yaml =
      absl::StrCat("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ", name,
                   "\n  creationTimestamp: \"", created, "\"\n");
  if (!annotations.empty()) absl::StrAppend(&yaml, "  annotations: {", annotations, "}\n");
  absl::StrAppend(&yaml, "spec:\n  ingressClassName: gatehouse\n",
                  with_default_backend
                      ? "  defaultBackend: {service: {name: default-svc, port: {number: 80}}}\n"
                      : "",
                  "  rules:\n  - ", host.empty() ? "" : absl::StrCat("host: \"", host, "\"\n    "),
                  "http:\n      paths:\n");
  for (const Path& path : paths) {
    absl::StrAppend(&yaml, "      - {path: \"", path.path, "\", pathType: ", path.type,
                    ", backend: {service: {name: ", path.service, ", port: {number: 80}}}}\n");
  }
  return yaml + "---\n";
}

// Translates `ingress_yaml` (plus a class and Services for every backend) and builds the
// data plane's route table from it.
std::shared_ptr<const dataplane::router::RouteTable> Build(const std::string& ingress_yaml) {
  std::string yaml =
      "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: gatehouse}\n"
      "spec: {controller: gatehouse.dev/ingress-controller}\n---\n";
  for (const char* service : {"default-svc", "a", "b", "c", "exact", "prefix", "regex", "other"}) {
    yaml += ServiceYaml(service);
  }
  yaml += ingress_yaml;
  controlplane::source::ParsedManifests parsed =
      controlplane::source::ParseManifests(yaml, "test.yaml", {});
  EXPECT_TRUE(parsed.errors.empty()) << parsed.errors.size() << " manifest errors";
  controlplane::objects::ObjectStore world;
  for (const auto& object : parsed.objects) world.Upsert(object);
  controlplane::translate::TranslateResult result =
      controlplane::translate::Translate(world, controlplane::translate::TranslateOptions{});
  for (const auto& report : result.reports) {
    EXPECT_EQ(report.state, controlplane::translate::IngressReport::State::kAccepted)
        << report.Key() << ": " << absl::StrJoin(report.reasons, "; ");
  }
  auto table = dataplane::router::RouteTable::Build(result.resources.route_configs.at(0));
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *table : nullptr;
}

// The Service a request reaches: "a" for cluster "default/a:80", "" for a 404.
std::string Route(const dataplane::router::RouteTable& table, const std::string& host,
                  const std::string& path) {
  dataplane::router::MatchResult match = table.Match(host, path);
  if (match.PrimaryCluster() == nullptr) return "";
  std::string cluster = *match.PrimaryCluster();  // "default/NAME:80"
  return cluster.substr(8, cluster.size() - 8 - 3);
}

struct PathRow {
  std::vector<Path> paths;
  const char* request;
  const char* reaches;  // "default-svc": no rule matched, the Ingress's defaultBackend took it
};

TEST(IngressSemanticsTest, KubernetesDocumentationPathExamples) {
  const PathRow rows[] = {
      {{{"Prefix", "/", "a"}}, "/anything/at/all", "a"},
      {{{"Exact", "/foo", "a"}}, "/foo", "a"},
      {{{"Exact", "/foo", "a"}}, "/bar", "default-svc"},
      {{{"Exact", "/foo", "a"}}, "/foo/", "default-svc"},
      {{{"Exact", "/foo/", "a"}}, "/foo", "default-svc"},
      {{{"Prefix", "/foo", "a"}}, "/foo", "a"},
      {{{"Prefix", "/foo", "a"}}, "/foo/", "a"},
      {{{"Prefix", "/foo/", "a"}}, "/foo", "a"},
      {{{"Prefix", "/foo/", "a"}}, "/foo/", "a"},
      {{{"Prefix", "/aaa/bb", "a"}}, "/aaa/bbb", "default-svc"},
      {{{"Prefix", "/aaa/bbb", "a"}}, "/aaa/bbb", "a"},
      {{{"Prefix", "/aaa/bbb/", "a"}}, "/aaa/bbb", "a"},
      {{{"Prefix", "/aaa/bbb", "a"}}, "/aaa/bbb/", "a"},
      {{{"Prefix", "/aaa/bbb", "a"}}, "/aaa/bbb/ccc", "a"},
      {{{"Prefix", "/aaa/bbb", "a"}}, "/aaa/bbbxyz", "default-svc"},
      {{{"Prefix", "/", "a"}, {"Prefix", "/aaa", "b"}}, "/aaa/ccc", "b"},
      {{{"Prefix", "/", "a"}, {"Prefix", "/aaa", "b"}, {"Prefix", "/aaa/bbb", "c"}},
       "/aaa/bbb",
       "c"},
      {{{"Prefix", "/", "a"}, {"Prefix", "/aaa", "b"}, {"Prefix", "/aaa/bbb", "c"}}, "/ccc", "a"},
      {{{"Prefix", "/aaa", "a"}}, "/ccc", "default-svc"},
      {{{"Prefix", "/foo", "prefix"}, {"Exact", "/foo", "exact"}}, "/foo", "exact"},
      // The query string never takes part in matching.
      {{{"Exact", "/foo", "a"}}, "/foo?x=/bar", "a"},
      // ImplementationSpecific without use-regex is a plain string prefix.
      {{{"ImplementationSpecific", "/foo", "a"}}, "/foobar", "a"},
  };
  for (const PathRow& row : rows) {
    // Every order the rules can be listed in must give the same answer.
    std::vector<Path> paths = row.paths;
    std::sort(paths.begin(), paths.end(),
              [](const Path& x, const Path& y) { return std::string(x.path) < y.path; });
    do {
      std::string listed;
      for (const Path& p : paths) absl::StrAppend(&listed, p.type, " ", p.path, "; ");
      auto table = Build(IngressYaml("web", "", paths));
      ASSERT_NE(table, nullptr);
      std::string request = row.request;
      std::string path = request.substr(0, request.find('?'));
      EXPECT_EQ(Route(*table, "any.example", path), row.reaches)
          << "rules: " << listed << "request: " << row.request;
    } while (std::next_permutation(paths.begin(), paths.end(), [](const Path& x, const Path& y) {
      return std::string(x.path) < y.path;
    }));
  }
}

TEST(IngressSemanticsTest, KubernetesDocumentationHostnameWildcards) {
  struct Row {
    const char* rule_host;
    const char* host_header;
    bool matches;
  };
  const Row rows[] = {
      {"*.foo.com", "bar.foo.com", true},        {"*.foo.com", "baz.bar.foo.com", false},
      {"*.foo.com", "foo.com", false},           {"foo.bar.com", "foo.bar.com", true},
      {"foo.bar.com", "FOO.Bar.com:8080", true}, {"foo.bar.com", "bar.com", false},
  };
  for (const Row& row : rows) {
    auto table = Build(IngressYaml("web", row.rule_host, {{"Prefix", "/", "a"}}));
    ASSERT_NE(table, nullptr);
    // A host no rule names falls to the Ingress's defaultBackend on the catch-all host.
    EXPECT_EQ(Route(*table, row.host_header, "/x"), row.matches ? "a" : "default-svc")
        << row.rule_host << " vs Host: " << row.host_header;
  }
}

TEST(IngressSemanticsTest, HostFirstThenPathsOfThatHostOnly) {
  auto table = Build(IngressYaml("web", "app.example.com", {{"Prefix", "/app", "a"}}) +
                     IngressYaml("other", "", {{"Prefix", "/shared", "b"}}, "",
                                 "2026-02-01T00:00:00Z", /*with_default_backend=*/false));
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(Route(*table, "app.example.com", "/app/x"), "a");
  // The host matched, so the host-less rule's /shared is not consulted for it.
  EXPECT_EQ(Route(*table, "app.example.com", "/shared"), "default-svc");
  EXPECT_EQ(Route(*table, "elsewhere.example.com", "/shared"), "b");
}

TEST(IngressSemanticsTest, UseRegexAppliesOnlyToTheIngressThatAsksForIt) {
  auto table = Build(IngressYaml("regex-one", "app.example.com",
                                 {{"ImplementationSpecific", "/api/v[0-9]+/users", "regex"}},
                                 "nginx.ingress.kubernetes.io/use-regex: \"true\"") +
                     IngressYaml("plain-one", "app.example.com",
                                 {{"ImplementationSpecific", "/static.", "other"}}, "",
                                 "2026-02-01T00:00:00Z", /*with_default_backend=*/false));
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(Route(*table, "app.example.com", "/api/v12/users/7"), "regex");
  EXPECT_EQ(Route(*table, "app.example.com", "/API/V2/USERS"), "regex");  // case-insensitive
  EXPECT_EQ(Route(*table, "app.example.com", "/x/api/v1/users"), "default-svc");  // anchored
  // The neighbour's "." stays a literal character: its Ingress did not ask for regex.
  EXPECT_EQ(Route(*table, "app.example.com", "/static.css"), "other");
  EXPECT_EQ(Route(*table, "app.example.com", "/staticXcss"), "default-svc");
}

TEST(IngressSemanticsTest, BadRegexIsReportedAndSkipped) {
  std::string yaml =
      "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: gatehouse}\n"
      "spec: {controller: gatehouse.dev/ingress-controller}\n---\n" +
      ServiceYaml("a") + ServiceYaml("default-svc") +
      IngressYaml("web", "app.example.com",
                  {{"ImplementationSpecific", "/ok/(a|b)", "a"},
                   {"ImplementationSpecific", "/bad/(unclosed", "a"}},
                  "gatehouse.dev/use-regex: \"true\"");
  controlplane::source::ParsedManifests parsed =
      controlplane::source::ParseManifests(yaml, "test.yaml", {});
  controlplane::objects::ObjectStore world;
  for (const auto& object : parsed.objects) world.Upsert(object);
  controlplane::translate::TranslateResult result =
      controlplane::translate::Translate(world, controlplane::translate::TranslateOptions{});
  ASSERT_EQ(result.reports.size(), 1u);
  EXPECT_EQ(result.reports[0].state,
            controlplane::translate::IngressReport::State::kPartlyAccepted);
  ASSERT_EQ(result.reports[0].reasons.size(), 1u) << absl::StrJoin(result.reports[0].reasons, "; ");
  EXPECT_NE(result.reports[0].reasons[0].find("rules[0].http.paths[1]: path regex"),
            std::string::npos)
      << result.reports[0].reasons[0];
  auto table = dataplane::router::RouteTable::Build(result.resources.route_configs.at(0));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(Route(**table, "app.example.com", "/ok/b"), "a");
}

}  // namespace
}  // namespace gatehouse
