// ingress-nginx's canary: an Ingress with "canary: true" takes a share of the requests of another
// Ingress's route with the same host, path type and path, its primary. The route keeps the
// primary's filters (the canary's other annotations are the primary's, as in ingress-nginx) and
// gets two weighted clusters, the primary's and the canary's, each with its own load balancing.
#pragma once

#include <string>

#include "controlplane/translate/annotations.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

// The annotations a canary Ingress's own value counts for: the canary ones, and its backend's
// load balancing and affinity. Any other annotation on a canary is the primary's business.
bool CanaryReadsAnnotation(absl::string_view name);

// Makes `route` (a primary's, with one cluster) send requests to `cluster` as `canary` says.
// Returns why it cannot, or "" when it did: the route has a canary already, or `cluster` is the
// primary's own.
std::string AttachCanary(const CanaryAnnotations& canary, const std::string& cluster,
                         const gatehouse::v1::LoadBalancing& balancing,
                         gatehouse::v1::Route& route);

}  // namespace gatehouse::controlplane::translate
