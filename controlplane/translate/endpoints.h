// A cluster's endpoints, from the EndpointSlices of its Service.
//
// Every slice labelled kubernetes.io/service-name=<service> in the Service's namespace counts;
// of each, the port named like the Service port (or the sole/unnamed port when the Service port
// has no name; the numeric targetPort when the slice lists no ports). IPv4 and IPv6 addresses
// only, de-duplicated by address:port. Every endpoint is kept with its conditions (unset ready and
// serving mean true, unset terminating false): the data plane picks ready ones first.
#pragma once

#include <string>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/backends.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

inline constexpr absl::string_view kServiceNameLabel = "kubernetes.io/service-name";

// The endpoints of `cluster_name`, sorted by address and port; none when the target has no port.
gatehouse::v1::ClusterLoadAssignment BuildLoadAssignment(const std::string& cluster_name,
                                                         const ClusterTarget& target,
                                                         const objects::ObjectStore& world);

}  // namespace gatehouse::controlplane::translate
