// A DataplaneConfig built from a route configuration and a few clusters, as the config client
// would build it, for tests of what runs on a config.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/resource_types.h"
#include "dataplane/config/dataplane_config.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::fakes {

// Cluster name -> its ready endpoints ("ip:port").
using TestClusters = std::map<std::string, std::vector<std::pair<std::string, uint16_t>>>;

inline std::shared_ptr<const config::DataplaneConfig> BuildTestConfig(
    const v1::RouteConfiguration& routes, const TestClusters& clusters,
    filters::FilterCompiler compile_filter = filters::CompileFilter) {
  std::map<std::string, config::ResourceSet> sets;
  auto add = [&sets](absl::string_view type, const google::protobuf::Message& message) {
    config::ResourceSet& set = sets[std::string(type)];
    set.version = "1";
    google::protobuf::Any any;
    any.PackFrom(message);
    set.resources[*ResourceName(any)] = std::move(any);
  };
  for (const auto& [name, endpoints] : clusters) {
    v1::Cluster cluster;
    cluster.set_name(name);
    add(kClusterType, cluster);
    v1::ClusterLoadAssignment assignment;
    assignment.set_cluster_name(name);
    for (const auto& [ip, port] : endpoints) {
      v1::Endpoint* endpoint = assignment.add_endpoints();
      endpoint->set_address(ip);
      endpoint->set_port(port);
      endpoint->set_ready(true);
    }
    add(kEndpointsType, assignment);
  }
  v1::Listener listener;
  listener.set_name("http");
  listener.set_route_config_name(routes.name());
  add(kListenerType, listener);
  add(kRouteType, routes);
  absl::StatusOr<std::shared_ptr<const config::DataplaneConfig>> config =
      config::DataplaneConfig::Build(std::move(sets), nullptr, tls::ServerSettings::Defaults(),
                                     compile_filter);
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : nullptr;
}

}  // namespace gatehouse::dataplane::fakes
