// ingress-nginx's mirror-target as a route's RequestMirror: the Service the URL's host names, in
// the Ingress's own namespace (the data plane resolves no DNS names, and one tenant never sends
// copies of its requests into another's Services), at the URL's port.
#pragma once

#include <optional>
#include <string>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/backends.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

// The mirror of the paths of an Ingress in namespace `ns`; nullopt when its annotations ask for
// none, or when it cannot be served (then `problem` says why). A Service that does not exist
// yet, or has no such port, still yields a mirror, whose copies go nowhere until it does (with
// `problem` saying so), as a path's backend does.
std::optional<gatehouse::v1::RequestMirror> MirrorFor(const std::string& ns,
                                                      const MirrorAnnotations& mirror,
                                                      const objects::ObjectStore& world,
                                                      ClusterTargets* clusters,
                                                      std::string* problem);

}  // namespace gatehouse::controlplane::translate
