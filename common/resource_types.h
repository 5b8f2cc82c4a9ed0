// Type URLs of the config resources on the discovery stream, in the order the control plane
// sends them: clusters and their endpoints before the listeners and routes that use them.
#pragma once

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/any.pb.h"

namespace gatehouse {

inline constexpr absl::string_view kClusterType = "type.googleapis.com/gatehouse.v1.Cluster";
inline constexpr absl::string_view kEndpointsType =
    "type.googleapis.com/gatehouse.v1.ClusterLoadAssignment";
inline constexpr absl::string_view kListenerType = "type.googleapis.com/gatehouse.v1.Listener";
inline constexpr absl::string_view kRouteType =
    "type.googleapis.com/gatehouse.v1.RouteConfiguration";

inline constexpr std::array<absl::string_view, 4> kResourceTypesInOrder = {
    kClusterType, kEndpointsType, kListenerType, kRouteType};

// Initial metadata the control plane sends as soon as it accepts a config stream.
inline constexpr absl::string_view kStreamOpenedMetadata = "gatehouse-stream-opened";

// The name a config resource is known by on the stream: Cluster.name,
// ClusterLoadAssignment.cluster_name, Listener.name or RouteConfiguration.name. An error for a
// resource of another type or one that does not unpack.
absl::StatusOr<std::string> ResourceName(const google::protobuf::Any& resource);

// `resource` as admin output may show it: a Listener's private keys and a RouteConfiguration's
// password hashes (basic auth) replaced by a placeholder, anything else unchanged. Keys and
// hashes never leave a process through its admin API.
google::protobuf::Any RedactedForDisplay(const google::protobuf::Any& resource);

}  // namespace gatehouse
