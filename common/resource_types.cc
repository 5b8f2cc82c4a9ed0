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
  bool redacted = false;
  google::protobuf::Any out;
  if (gatehouse::v1::Listener listener;
      resource.Is<gatehouse::v1::Listener>() && resource.UnpackTo(&listener)) {
    for (gatehouse::v1::TlsCertificate& certificate : *listener.mutable_certificates()) {
      if (certificate.private_key().empty()) continue;
      certificate.set_private_key("(private key redacted)");
      redacted = true;
    }
    if (redacted) out.PackFrom(listener);
  } else if (gatehouse::v1::RouteConfiguration routes;
             resource.Is<gatehouse::v1::RouteConfiguration>() && resource.UnpackTo(&routes)) {
    // Password hashes: a leaked hash can be cracked offline.
    auto redact = [&redacted](google::protobuf::RepeatedPtrField<gatehouse::v1::Filter>& filters) {
      for (gatehouse::v1::Filter& filter : filters) {
        if (!filter.has_basic_auth()) continue;
        for (gatehouse::v1::BasicAuth::User& user : *filter.mutable_basic_auth()->mutable_users()) {
          user.set_hash("(hash redacted)");
          redacted = true;
        }
      }
    };
    for (gatehouse::v1::VirtualHost& host : *routes.mutable_virtual_hosts()) {
      redact(*host.mutable_filters());
      for (gatehouse::v1::Route& route : *host.mutable_routes()) redact(*route.mutable_filters());
    }
    if (redacted) out.PackFrom(routes);
  }
  return redacted ? out : resource;
}

}  // namespace gatehouse
