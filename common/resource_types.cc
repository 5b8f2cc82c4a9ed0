#include "common/resource_types.h"

#include "absl/strings/str_cat.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse {
namespace {

template <typename T, typename NameFn>
absl::StatusOr<std::string> NameOf(const google::protobuf::Any& resource, NameFn name) {
  T message;
  if (!resource.UnpackTo(&message)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", T::descriptor()->full_name(), " that does not unpack"));
  }
  return name(message);
}

}  // namespace

absl::StatusOr<std::string> ResourceName(const google::protobuf::Any& resource) {
  absl::string_view type = resource.type_url();
  if (type == kClusterType) {
    return NameOf<v1::Cluster>(resource, [](const v1::Cluster& c) { return c.name(); });
  }
  if (type == kEndpointsType) {
    return NameOf<v1::ClusterLoadAssignment>(
        resource, [](const v1::ClusterLoadAssignment& c) { return c.cluster_name(); });
  }
  if (type == kListenerType) {
    return NameOf<v1::Listener>(resource, [](const v1::Listener& l) { return l.name(); });
  }
  if (type == kRouteType) {
    return NameOf<v1::RouteConfiguration>(resource,
                                          [](const v1::RouteConfiguration& r) { return r.name(); });
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown resource type \"", type, "\""));
}

google::protobuf::Any RedactedForDisplay(const google::protobuf::Any& resource) {
  gatehouse::v1::Listener listener;
  if (!resource.Is<gatehouse::v1::Listener>() || !resource.UnpackTo(&listener)) return resource;
  bool redacted = false;
  for (gatehouse::v1::TlsCertificate& certificate : *listener.mutable_certificates()) {
    if (certificate.private_key().empty()) continue;
    certificate.set_private_key("(private key redacted)");
    redacted = true;
  }
  if (!redacted) return resource;
  google::protobuf::Any out;
  out.PackFrom(listener);
  return out;
}

}  // namespace gatehouse
