// Snapshots, and a data plane's answers, for the config stream's tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/resource_types.h"
#include "controlplane/xds/snapshot_cache.h"
#include "gatehouse/v1/config.pb.h"
#include "gatehouse/v1/discovery.pb.h"

namespace gatehouse::controlplane::xds {

// Clusters named `cluster_names`, no endpoints, one listener, no routes.
inline Snapshot MakeSnapshot(const std::vector<std::string>& cluster_names) {
  std::vector<gatehouse::v1::Cluster> clusters;
  for (const std::string& name : cluster_names) clusters.emplace_back().set_name(name);
  gatehouse::v1::Listener listener;
  listener.set_name("http");
  Snapshot snapshot;
  snapshot.Put(MakeResourceSetOf(kClusterType, clusters));
  snapshot.Put(
      MakeResourceSetOf(kEndpointsType, std::vector<gatehouse::v1::ClusterLoadAssignment>{}));
  snapshot.Put(MakeResourceSetOf(kListenerType, std::vector{listener}));
  snapshot.Put(MakeResourceSetOf(kRouteType, std::vector<gatehouse::v1::RouteConfiguration>{}));
  return snapshot;
}

// A snapshot whose clusters and endpoints are `clusters`, each with one endpoint `ip`, and one
// route per cluster in `routed`.
inline Snapshot WorldSnapshot(const std::map<std::string, std::string>& clusters,
                              const std::vector<std::string>& routed) {
  std::vector<gatehouse::v1::Cluster> cluster_list;
  std::vector<gatehouse::v1::ClusterLoadAssignment> assignments;
  for (const auto& [name, ip] : clusters) {
    cluster_list.emplace_back().set_name(name);
    gatehouse::v1::ClusterLoadAssignment& assignment = assignments.emplace_back();
    assignment.set_cluster_name(name);
    gatehouse::v1::Endpoint* endpoint = assignment.add_endpoints();
    endpoint->set_address(ip);
    endpoint->set_port(80);
    endpoint->set_ready(true);
  }
  gatehouse::v1::Listener listener;
  listener.set_name("http");
  listener.set_route_config_name("http");
  gatehouse::v1::RouteConfiguration routes;
  routes.set_name("http");
  gatehouse::v1::VirtualHost* vhost = routes.add_virtual_hosts();
  vhost->set_name("*");
  vhost->add_domains("*");
  for (const std::string& name : routed) {
    gatehouse::v1::Route* route = vhost->add_routes();
    route->mutable_match()->set_path_type(gatehouse::v1::RouteMatch::PREFIX);
    route->mutable_match()->set_path("/" + name);
    route->set_cluster(name);
  }
  Snapshot snapshot;
  snapshot.Put(MakeResourceSetOf(kClusterType, cluster_list));
  snapshot.Put(MakeResourceSetOf(kEndpointsType, assignments));
  snapshot.Put(MakeResourceSetOf(kListenerType, std::vector{listener}));
  snapshot.Put(MakeResourceSetOf(kRouteType, std::vector{routes}));
  return snapshot;
}

inline std::vector<std::string> Names(const gatehouse::v1::DiscoveryResponse& response) {
  std::vector<std::string> names;
  for (const auto& resource : response.resources()) names.push_back(*ResourceName(resource));
  return names;
}

// The data plane's ACK of `response`: it now runs that version.
inline gatehouse::v1::DiscoveryRequest AckOf(const gatehouse::v1::DiscoveryResponse& response) {
  gatehouse::v1::DiscoveryRequest request;
  request.set_type_url(response.type_url());
  request.set_version_info(response.version_info());
  request.set_response_nonce(response.nonce());
  return request;
}

// The data plane's NACK of `response`: it keeps version `kept`, refusing the new one for `why`.
inline gatehouse::v1::DiscoveryRequest NackOf(const gatehouse::v1::DiscoveryResponse& response,
                                              const std::string& kept, const std::string& why) {
  gatehouse::v1::DiscoveryRequest request = AckOf(response);
  request.set_version_info(kept);
  request.mutable_error_detail()->set_code(3);
  request.mutable_error_detail()->set_message(why);
  return request;
}

}  // namespace gatehouse::controlplane::xds
