#include "controlplane/translate/endpoints.h"

#include <arpa/inet.h>

#include <map>
#include <optional>
#include <utility>

namespace gatehouse::controlplane::translate {
namespace {

using objects::kube::EndpointSlice;
using objects::kube::ServicePort;

// The port traffic for `service_port` goes to in `slice`, if the slice serves it.
std::optional<uint32_t> SlicePort(const EndpointSlice& slice, const ServicePort& service_port) {
  if (slice.ports().empty()) {
    const google::protobuf::Value& target = service_port.target_port();
    if (target.kind_case() == google::protobuf::Value::kNumberValue && target.number_value() > 0 &&
        target.number_value() <= 65535) {
      return static_cast<uint32_t>(target.number_value());
    }
    return std::nullopt;
  }
  const objects::kube::EndpointPort* chosen = nullptr;
  if (!service_port.name().empty()) {
    for (const auto& port : slice.ports()) {
      if (port.name() == service_port.name()) chosen = &port;
    }
  } else if (slice.ports().size() == 1) {
    chosen = &slice.ports(0);
  } else {
    for (const auto& port : slice.ports()) {
      if (port.name().empty()) chosen = &port;
    }
  }
  if (chosen == nullptr || !chosen->has_port() || chosen->port() <= 0 || chosen->port() > 65535) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(chosen->port());
}

// Ranks conditions so that a duplicate address keeps its most usable report.
int Usability(const gatehouse::v1::Endpoint& endpoint) {
  return (endpoint.ready() ? 2 : 0) + (endpoint.serving() ? 1 : 0);
}

}  // namespace

gatehouse::v1::ClusterLoadAssignment BuildLoadAssignment(const std::string& cluster_name,
                                                         const ClusterTarget& target,
                                                         const objects::ObjectStore& world) {
  gatehouse::v1::ClusterLoadAssignment out;
  out.set_cluster_name(cluster_name);
  if (!target.port.has_value()) return out;
  if (target.service_address) {
    // kube-proxy's address for the Service port: one endpoint, always ready.
    auto service = world.services().find(objects::NamespacedName{target.ns, target.service});
    if (service == world.services().end()) return out;
    gatehouse::v1::Endpoint& endpoint = *out.add_endpoints();
    endpoint.set_address(service->second.spec().cluster_ip());
    endpoint.set_port(static_cast<uint32_t>(target.port->port()));
    endpoint.set_ready(true);
    endpoint.set_serving(true);
    return out;
  }

  std::map<std::pair<std::string, uint32_t>, gatehouse::v1::Endpoint> endpoints;
  auto first = world.endpoint_slices().lower_bound(objects::NamespacedName{target.ns, ""});
  for (auto it = first; it != world.endpoint_slices().end() && it->first.ns == target.ns; ++it) {
    const EndpointSlice& slice = it->second;
    auto label = slice.metadata().labels().find(std::string(kServiceNameLabel));
    if (label == slice.metadata().labels().end() || label->second != target.service) continue;
    if (slice.address_type() != "IPv4" && slice.address_type() != "IPv6") continue;
    std::optional<uint32_t> port = SlicePort(slice, *target.port);
    if (!port.has_value()) continue;
    for (const objects::kube::Endpoint& endpoint : slice.endpoints()) {
      const objects::kube::EndpointConditions& conditions = endpoint.conditions();
      gatehouse::v1::Endpoint converted;
      converted.set_port(*port);
      converted.set_ready(conditions.has_ready() ? conditions.ready() : true);
      converted.set_serving(conditions.has_serving() ? conditions.serving() : true);
      converted.set_terminating(conditions.has_terminating() ? conditions.terminating() : false);
      for (const std::string& address : endpoint.addresses()) {
        // Sources validate addresses; one that is not an IP still never reaches a data plane,
        // where it would make the whole endpoints version be refused.
        unsigned char ip[sizeof(in6_addr)];
        if (inet_pton(slice.address_type() == "IPv6" ? AF_INET6 : AF_INET, address.c_str(), ip) !=
            1) {
          continue;
        }
        converted.set_address(address);
        auto [existing, inserted] = endpoints.try_emplace({address, *port}, converted);
        if (!inserted && Usability(converted) > Usability(existing->second)) {
          existing->second = converted;
        }
      }
    }
  }
  for (auto& [key, endpoint] : endpoints) *out.add_endpoints() = std::move(endpoint);
  return out;
}

}  // namespace gatehouse::controlplane::translate
