// ingress-nginx's ssl-passthrough: TLS connections naming an Ingress's host go, as they are, to
// the backend of the host's "/" path (ingress-nginx passes only the root location through, and
// matches SNI exactly, so rules without a host or with a wildcard host are not passed through).
#pragma once

#include <string>
#include <vector>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/backends.h"

namespace gatehouse::controlplane::translate {

struct PassthroughHost {
  std::string domain;   // lower case, exact
  std::string cluster;  // the "/" path's backend
};

// The hosts of `ingress` to pass through, adding their clusters to `clusters`; what cannot be
// passed through is said in `reasons`.
std::vector<PassthroughHost> PassthroughHostsOf(const objects::kube::Ingress& ingress,
                                                const objects::ObjectStore& world,
                                                ClusterTargets* clusters,
                                                std::vector<std::string>* reasons);

}  // namespace gatehouse::controlplane::translate
