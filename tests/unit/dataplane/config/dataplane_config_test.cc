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

std::map<std::string, ResourceSet> World() {
  std::map<std::string, ResourceSet> sets;
  v1::Cluster cluster;
  cluster.set_name("default/web:80");
  sets[std::string(kClusterType)] = {"c1", {Pack(cluster)}};

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
  sets[std::string(kEndpointsType)] = {"e1", {Pack(assignment)}};

  v1::Listener listener;
  listener.set_name("http");
  listener.set_route_config_name("http");
  sets[std::string(kListenerType)] = {"l1", {Pack(listener)}};

  v1::RouteConfiguration routes;
  routes.set_name("http");
  v1::VirtualHost* vhost = routes.add_virtual_hosts();
  vhost->set_name("*");
  vhost->add_domains("*");
  vhost->set_default_cluster("default/web:80");
  sets[std::string(kRouteType)] = {"r1", {Pack(routes)}};
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
  sets[std::string(kEndpointsType)] = {"e2", {Pack(assignment)}};
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(sets);
  ASSERT_TRUE(config.ok()) << config.status();
  const ClusterConfig* cluster = (*config)->FindCluster("default/web:80");
  ASSERT_EQ(cluster->endpoints.size(), 1u);
  EXPECT_EQ(cluster->endpoints[0].ip, "10.0.0.2");
}

TEST(DataplaneConfigTest, RefusesWholeVersionListingEveryError) {
  std::map<std::string, ResourceSet> sets = World();
  v1::Cluster duplicate;
  duplicate.set_name("default/web:80");
  sets[std::string(kClusterType)].resources.push_back(Pack(duplicate));
  v1::ClusterLoadAssignment bad;
  bad.set_cluster_name("default/web:80");
  bad.add_endpoints()->set_address("not-an-ip");
  sets[std::string(kEndpointsType)] = {"e3", {Pack(bad)}};
  sets[std::string(kListenerType)].resources.push_back(Pack(bad));  // wrong type in the set
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(sets);
  ASSERT_FALSE(config.ok());
  std::string message(config.status().message());
  EXPECT_NE(message.find("cluster \"default/web:80\" appears twice"), std::string::npos) << message;
  EXPECT_NE(message.find("bad address not-an-ip:0"), std::string::npos) << message;
  EXPECT_NE(message.find("listeners[1]: not a gatehouse.v1.Listener"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace gatehouse::dataplane::config
