// Type URLs of the config resources on the discovery stream, in the order the control plane
// sends them: clusters and their endpoints before the listeners and routes that use them.
#pragma once

#include <array>
#include "absl/strings/string_view.h"

namespace gatehouse {

inline constexpr absl::string_view kClusterType = "type.googleapis.com/gatehouse.v1.Cluster";
inline constexpr absl::string_view kEndpointsType =
    "type.googleapis.com/gatehouse.v1.ClusterLoadAssignment";
inline constexpr absl::string_view kListenerType = "type.googleapis.com/gatehouse.v1.Listener";
inline constexpr absl::string_view kRouteType =
    "type.googleapis.com/gatehouse.v1.RouteConfiguration";

inline constexpr std::array<absl::string_view, 4> kResourceTypesInOrder = {
    kClusterType, kEndpointsType, kListenerType, kRouteType};

}  // namespace gatehouse
