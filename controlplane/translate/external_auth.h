// auth-url as a route's ExternalAuth filter: the auth service is a Service of the Ingress's own
// namespace, or of one the operator shares with every Ingress (--auth-service-namespaces: a
// shared oauth2-proxy), reached through its cluster (the data plane resolves no DNS names, and
// one tenant never sends its clients' headers into another's Services).
#pragma once

#include <string>
#include <vector>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/backends.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::controlplane::translate {

// The filter of the paths of an Ingress in `ns` whose annotations are `auth`; the auth service
// may also be in one of `shared_namespaces`. An auth service
// that cannot be named gives a filter that denies every request (503); one without ready
// endpoints yet gives one whose requests get 500 until it has. Problems go to `problems`.
gatehouse::v1::ExternalAuth ExternalAuthFor(const std::string& ns,
                                            const std::vector<std::string>& shared_namespaces,
                                            const ExternalAuthAnnotations& auth,
                                            const objects::ObjectStore& world,
                                            ClusterTargets* clusters,
                                            std::vector<std::string>* problems);

}  // namespace gatehouse::controlplane::translate
