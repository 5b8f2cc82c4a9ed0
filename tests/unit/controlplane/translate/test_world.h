// Manifests for translation tests: our IngressClass, a Service with endpoints, Ingresses as
// YAML, and the object store they make.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "controlplane/objects/object_store.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/translate/translate.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane::translate {

inline constexpr absl::string_view kOurClass = R"(
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatehouse}
spec: {controller: gatehouse.dev/ingress-controller}
---
)";

inline constexpr absl::string_view kWebService = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80, targetPort: 8080}, {name: admin, port: 9000}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-a, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: admin, port: 9001}]
endpoints: [{addresses: [10.0.0.1]}]
---
)";

inline objects::ObjectStore World(absl::string_view yaml) {
  source::ParsedManifests parsed = source::ParseManifests(yaml, "test.yaml", {});
  for (const auto& error : parsed.errors)
    ADD_FAILURE() << "bad test manifest: " << error.DebugString();
  objects::ObjectStore world;
  for (const auto& object : parsed.objects) world.Upsert(object);
  return world;
}

inline std::string Ingress(absl::string_view name, absl::string_view extra_meta,
                           absl::string_view spec) {
  return absl::StrCat("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ", name,
                      extra_meta.empty() ? "" : ", ", extra_meta, "}\nspec:\n", spec, "\n---\n");
}

inline const std::string kBackendWeb = "{service: {name: web, port: {number: 80}}}";

// An Ingress of our class serving `host` at / from web:80, with `annotations` (the entries of a
// YAML flow map).
inline std::string AnnotatedSite(absl::string_view name, absl::string_view host,
                                 absl::string_view annotations) {
  return Ingress(
      name, absl::StrCat("annotations: {", annotations, "}"),
      absl::StrCat("  ingressClassName: gatehouse\n  rules: [{host: ", host,
                   ", http: {paths: [{path: /, pathType: Prefix, backend: ", kBackendWeb, "}]}}]"));
}

// Each virtual host's route's filter at `index` (-1: any) rendered by `render` (which returns
// "" for a filter of another kind), or "none".
inline std::map<std::string, std::string> FilterByHost(
    const TranslateResult& result,
    const std::function<std::string(const gatehouse::v1::Filter&)>& render, int index = -1) {
  std::map<std::string, std::string> out;
  for (const auto& vhost : result.resources.route_configs[0].virtual_hosts()) {
    for (const auto& route : vhost.routes()) {
      std::string& entry = out[vhost.name()];
      entry = "none";
      for (int i = 0; i < route.filters_size(); ++i) {
        if (index >= 0 && i != index) continue;
        std::string text = render(route.filters(i));
        if (!text.empty()) entry = text;
      }
    }
  }
  return out;
}

inline  // "ns/name STATE" then "  reason" per reason.
    std::string
    RenderReports(const TranslateResult& result) {
  std::vector<std::string> lines;
  for (const IngressReport& report : result.reports) {
    lines.push_back(absl::StrCat(report.Key(), " ", StateName(report.state)));
    for (const std::string& reason : report.reasons) lines.push_back("  " + reason);
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace gatehouse::controlplane::translate
