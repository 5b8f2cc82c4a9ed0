// The translation: Kubernetes objects in, data-plane config and per-Ingress reports out.
//
// A pure function (no I/O, no clock, no globals): the same objects and options always give the
// same, sorted output, so it can be tested with tables ("these objects in, this config out") and
// two replicas compute identical snapshots. The rules are docs/design.md's "Ingress semantics".
#pragma once

#include <set>
#include <string>
#include <vector>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/backends.h"
#include "controlplane/translate/options.h"
#include "controlplane/translate/report.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

inline constexpr absl::string_view kHttpListener = "http";
inline constexpr absl::string_view kHttpsListener = "https";
inline constexpr absl::string_view kHttpRouteConfig = "http";
inline constexpr uint32_t kConnectTimeoutMs = 5000;

// One data-plane configuration, each list sorted by name.
struct ConfigResources {
  std::vector<gatehouse::v1::Cluster> clusters;
  std::vector<gatehouse::v1::ClusterLoadAssignment> load_assignments;  // one per cluster
  std::vector<gatehouse::v1::Listener> listeners;
  std::vector<gatehouse::v1::RouteConfiguration> route_configs;
};

struct TranslateResult {
  ConfigResources resources;
  // One per Ingress in the world (ours or not), sorted by namespace/name.
  std::vector<IngressReport> reports;
  // Problems of the controller's own settings (e.g. its default backend's Service is missing).
  std::vector<std::string> warnings;
  // The Service port behind each cluster, for RetranslateEndpoints.
  ClusterTargets cluster_targets;
};

// Translates every Ingress of `world` that belongs to this controller.
TranslateResult Translate(const objects::ObjectStore& world, const TranslateOptions& options);

// Recomputes, from `world`, the endpoint assignments of the clusters of `result` whose Service is
// one of `services`: all an EndpointSlice-only change needs, with no route rebuild. Pure, like
// Translate; gives what a full Translate of `world` would, as long as only EndpointSlices changed
// since `result` was made.
// Returns the indexes of the assignments it recomputed.
std::vector<size_t> RetranslateEndpoints(const objects::ObjectStore& world,
                                         const std::set<objects::NamespacedName>& services,
                                         TranslateResult* result);

}  // namespace gatehouse::controlplane::translate
