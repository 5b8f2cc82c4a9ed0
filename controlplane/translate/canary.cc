#include "controlplane/translate/canary.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::controlplane::translate {

bool CanaryReadsAnnotation(absl::string_view name) {
  if (absl::StartsWith(name, "canary") || absl::StartsWith(name, "session-cookie-")) return true;
  return name == kLoadBalanceAnnotation || name == kUpstreamHashByAnnotation ||
         name == kAffinityAnnotation || name == "affinity-mode" ||
         name == "affinity-canary-behavior";
}

std::string AttachCanary(const CanaryAnnotations& canary, const std::string& cluster,
                         const gatehouse::v1::LoadBalancing& balancing,
                         gatehouse::v1::Route& route) {
  if (!route.weighted_clusters().empty()) {
    return absl::StrCat("the route already has the canary ", route.weighted_clusters(1).cluster(),
                        " (an older canary Ingress's)");
  }
  if (route.cluster() == cluster) {
    return absl::StrCat("its backend ", cluster, " is the primary's own");
  }
  gatehouse::v1::WeightedCluster* primary = route.add_weighted_clusters();
  primary->set_cluster(route.cluster());
  primary->set_weight(canary.weight_total - canary.weight);
  *primary->mutable_load_balancing() = route.load_balancing();
  gatehouse::v1::WeightedCluster* added = route.add_weighted_clusters();
  added->set_cluster(cluster);
  added->set_weight(canary.weight);
  *added->mutable_load_balancing() = balancing;
  route.clear_cluster();
  route.clear_load_balancing();
  const gatehouse::v1::Canary& rule = canary.rule;
  if (!rule.header().empty() || !rule.cookie().empty()) *route.mutable_canary() = rule;
  return std::string();
}

}  // namespace gatehouse::controlplane::translate
