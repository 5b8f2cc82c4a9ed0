#include "dataplane/config/dataplane_config.h"

#include "common/resource_types.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::config {
namespace {

template <typename T>
google::protobuf::Any Pack(const T& message) {
  google::protobuf::Any any;
  any.PackFrom(message);
  return any;
}

// A set of `resources`, keyed by their names.
ResourceSet Set(std::string version, std::vector<google::protobuf::Any> resources) {
  ResourceSet set;
  set.version = std::move(version);
  for (auto& resource : resources) set.resources[*ResourceName(resource)] = std::move(resource);
  return set;
}

std::map<std::string, ResourceSet> World() {
  std::map<std::string, ResourceSet> sets;
  v1::Cluster cluster;
  cluster.set_name("default/web:80");
  sets[std::string(kClusterType)] = Set("c1", {Pack(cluster)});

  v1::ClusterLoadAssignment assignment;
  assignment.set_cluster_name("default/web:80");
  auto add = [&](const char* ip, bool ready, bool serving, bool terminating) {
    v1::Endpoint* endpoint = assignment.add_endpoints();
    endpoint->set_address(ip);
    endpoint->set_port(8080);
    endpoint->set_ready(ready);
    endpoint->set_serving(serving);
    endpoint->set_terminating(terminating);
  };
  add("10.0.0.1", true, true, false);
  add("10.0.0.2", false, true, true);
  add("fd00::1", true, true, false);
  sets[std::string(kEndpointsType)] = Set("e1", {Pack(assignment)});

  v1::Listener listener;
  listener.set_name("http");
  listener.set_route_config_name("http");
  sets[std::string(kListenerType)] = Set("l1", {Pack(listener)});

  v1::RouteConfiguration routes;
  routes.set_name("http");
  v1::VirtualHost* vhost = routes.add_virtual_hosts();
  vhost->set_name("*");
  vhost->add_domains("*");
  vhost->set_default_cluster("default/web:80");
  sets[std::string(kRouteType)] = Set("r1", {Pack(routes)});
  return sets;
}

TEST(DataplaneConfigTest, BuildsReadyEndpoints) {
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(World());
  ASSERT_TRUE(config.ok()) << config.status();
  const ClusterConfig* cluster = (*config)->FindCluster("default/web:80");
  ASSERT_NE(cluster, nullptr);
  ASSERT_EQ(cluster->endpoints.size(), 2u);
  EXPECT_EQ(cluster->endpoints[0].Key(), "10.0.0.1:8080");
  EXPECT_EQ(cluster->endpoints[1].Key(), "[fd00::1]:8080");
  EXPECT_TRUE((*config)->HasEndpoint("10.0.0.1:8080"));
  EXPECT_FALSE((*config)->HasEndpoint("10.0.0.2:8080"));
  EXPECT_EQ((*config)->VersionOf(kRouteType), "r1");
  ASSERT_NE((*config)->http_routes().Match("x", "/").cluster, nullptr);
}

TEST(DataplaneConfigTest, CompleteOnlyWithEveryType) {
  std::map<std::string, ResourceSet> sets = World();
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> full = DataplaneConfig::Build(sets);
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE((*full)->complete());
  sets.erase(std::string(kRouteType));
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> partial = DataplaneConfig::Build(sets);
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE((*partial)->complete());  // a data plane without routes is not ready
}

TEST(DataplaneConfigTest, TerminatingServingEndpointsOnlyWhenNothingIsReady) {
  std::map<std::string, ResourceSet> sets = World();
  v1::ClusterLoadAssignment assignment;
  assignment.set_cluster_name("default/web:80");
  v1::Endpoint* terminating = assignment.add_endpoints();
  terminating->set_address("10.0.0.2");
  terminating->set_port(8080);
  terminating->set_serving(true);
  terminating->set_terminating(true);
  v1::Endpoint* gone = assignment.add_endpoints();
  gone->set_address("10.0.0.3");
  gone->set_port(8080);
  gone->set_terminating(true);
  sets[std::string(kEndpointsType)] = Set("e2", {Pack(assignment)});
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(sets);
  ASSERT_TRUE(config.ok()) << config.status();
  const ClusterConfig* cluster = (*config)->FindCluster("default/web:80");
  ASSERT_EQ(cluster->endpoints.size(), 1u);
  EXPECT_EQ(cluster->endpoints[0].ip(), "10.0.0.2");
}

TEST(DataplaneConfigTest, RefusesWholeVersionListingEveryError) {
  std::map<std::string, ResourceSet> sets = World();
  v1::ClusterLoadAssignment bad;
  bad.set_cluster_name("default/web:80");
  bad.add_endpoints()->set_address("not-an-ip");
  sets[std::string(kEndpointsType)] = Set("e3", {Pack(bad)});
  sets[std::string(kListenerType)].resources["odd"] = Pack(bad);  // wrong type in the set
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(sets);
  ASSERT_FALSE(config.ok());
  std::string message(config.status().message());
  EXPECT_NE(message.find("bad address not-an-ip:0"), std::string::npos) << message;
  EXPECT_NE(message.find("listeners \"odd\": not a gatehouse.v1.Listener"), std::string::npos)
      << message;
}

v1::DiscoveryResponse Response(absl::string_view type, std::string version, bool incremental,
                               std::vector<google::protobuf::Any> resources,
                               std::vector<std::string> removed = {}) {
  v1::DiscoveryResponse response;
  response.set_type_url(std::string(type));
  response.set_version_info(std::move(version));
  response.set_incremental(incremental);
  for (auto& resource : resources) *response.add_resources() = std::move(resource);
  for (auto& name : removed) response.add_removed_resources(std::move(name));
  return response;
}

v1::Cluster NamedCluster(const std::string& name, uint32_t timeout_ms = 0) {
  v1::Cluster cluster;
  cluster.set_name(name);
  cluster.set_connect_timeout_ms(timeout_ms);
  return cluster;
}

TEST(ApplyResponseTest, FullThenIncrementalAddChangeRemove) {
  std::map<std::string, ResourceSet> sets;
  ASSERT_TRUE(ApplyResponse(Response(kClusterType, "v1", false,
                                     {Pack(NamedCluster("a")), Pack(NamedCluster("b"))}),
                            sets)
                  .ok());
  ASSERT_EQ(sets[std::string(kClusterType)].resources.size(), 2u);

  ASSERT_TRUE(ApplyResponse(Response(kClusterType, "v2", true,
                                     {Pack(NamedCluster("b", 99)), Pack(NamedCluster("c"))}, {"a"}),
                            sets)
                  .ok());
  const ResourceSet& set = sets[std::string(kClusterType)];
  EXPECT_EQ(set.version, "v2");
  ASSERT_EQ(set.resources.size(), 2u);
  v1::Cluster b;
  ASSERT_TRUE(set.resources.at("b").UnpackTo(&b));
  EXPECT_EQ(b.connect_timeout_ms(), 99u);
  EXPECT_EQ(set.resources.count("c"), 1u);

  // A full response replaces everything.
  ASSERT_TRUE(
      ApplyResponse(Response(kClusterType, "v3", false, {Pack(NamedCluster("z"))}), sets).ok());
  EXPECT_EQ(sets[std::string(kClusterType)].resources.size(), 1u);
}

TEST(ApplyResponseTest, BadResponseLeavesTheSetsAlone) {
  std::map<std::string, ResourceSet> sets;
  ASSERT_TRUE(
      ApplyResponse(Response(kClusterType, "v1", false, {Pack(NamedCluster("a"))}), sets).ok());
  v1::Listener listener;
  listener.set_name("http");
  absl::Status status = ApplyResponse(Response(kClusterType, "v2", true,
                                               {Pack(NamedCluster("b")), Pack(NamedCluster("b")),
                                                Pack(listener), Pack(NamedCluster(""))}),
                                      sets);
  ASSERT_FALSE(status.ok());
  std::string message(status.message());
  EXPECT_NE(message.find("resource \"b\" appears twice"), std::string::npos) << message;
  EXPECT_NE(message.find("resources[2] is a type.googleapis.com/gatehouse.v1.Listener"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("resources[3] has no name"), std::string::npos) << message;
  EXPECT_EQ(sets[std::string(kClusterType)].version, "v1");
  EXPECT_EQ(sets[std::string(kClusterType)].resources.size(), 1u);
}

TEST(DataplaneConfigTest, EndpointChangeReusesTheRouteTable) {
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> first = DataplaneConfig::Build(World());
  ASSERT_TRUE(first.ok());
  std::map<std::string, ResourceSet> sets = World();
  sets[std::string(kEndpointsType)].version = "e9";
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> second =
      DataplaneConfig::Build(sets, first->get());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(&(*first)->http_routes(), &(*second)->http_routes());
  sets[std::string(kRouteType)].version = "r9";
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> third =
      DataplaneConfig::Build(sets, second->get());
  ASSERT_TRUE(third.ok());
  EXPECT_NE(&(*second)->http_routes(), &(*third)->http_routes());
}

}  // namespace
}  // namespace gatehouse::dataplane::config
