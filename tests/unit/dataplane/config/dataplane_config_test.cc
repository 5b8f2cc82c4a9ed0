#include "dataplane/config/dataplane_config.h"

#include "absl/strings/str_join.h"
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

TEST(DataplaneConfigTest, PassthroughHostsAreExactLowerCaseNamesEachOnce) {
  std::map<std::string, ResourceSet> sets = World();
  v1::Listener http;
  http.set_name("http");
  http.set_route_config_name("http");
  v1::Listener https;
  https.set_name("https");
  https.set_route_config_name("http");
  auto add = [&https](const char* name, const char* cluster) {
    v1::Passthrough* entry = https.add_passthrough();
    entry->set_server_name(name);
    entry->set_cluster(cluster);
  };
  add("vault.test", "default/web:80");
  add("vault.test", "default/other:80");
  add("Upper.test", "default/web:80");
  add("*.wild.test", "default/web:80");
  add("none.test", "");
  sets[std::string(kListenerType)] = Set("l2", {Pack(http), Pack(https)});
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(sets);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_NE((*config)->PassthroughCluster("vault.test"), nullptr);
  EXPECT_EQ(*(*config)->PassthroughCluster("vault.test"), "default/web:80");
  EXPECT_EQ((*config)->PassthroughCluster("upper.test"), nullptr);
  EXPECT_EQ((*config)->PassthroughCluster("a.wild.test"), nullptr);
  EXPECT_TRUE((*config)->has_passthrough());
  EXPECT_EQ(absl::StrJoin((*config)->dropped(), "\n"),
            "passthrough \"vault.test\" is passed through already\n"
            "passthrough \"Upper.test\" is not a lower-case host name\n"
            "passthrough \"*.wild.test\" is not a lower-case host name\n"
            "passthrough \"none.test\" names no cluster");
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

// A version malformed as a whole (here a resource of the wrong type in a set) is refused
// whole, with every reason.
TEST(DataplaneConfigTest, RefusesAMalformedVersionWholeListingEveryError) {
  std::map<std::string, ResourceSet> sets = World();
  v1::ClusterLoadAssignment bad;
  bad.set_cluster_name("default/web:80");
  sets[std::string(kListenerType)].resources["odd"] = Pack(bad);  // wrong type in the set
  sets[std::string(kRouteType)].resources["odd"] = Pack(bad);
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(sets);
  ASSERT_FALSE(config.ok());
  std::string message(config.status().message());
  EXPECT_NE(message.find("listeners \"odd\": not a gatehouse.v1.Listener"), std::string::npos)
      << message;
  EXPECT_NE(message.find("routes \"odd\": not a gatehouse.v1.RouteConfiguration"),
            std::string::npos)
      << message;
}

// What the data plane cannot serve (a version skew, a control-plane bug) is left out alone, each
// with its reason, and everything else in the version is served: one tenant's bad object never
// holds back another's change.
TEST(DataplaneConfigTest, LeavesOutWhatItCannotServeAndBuildsTheRest) {
  std::map<std::string, ResourceSet> sets = World();
  v1::Cluster web;
  web.set_name("default/web:80");
  v1::Cluster bad_tls;
  bad_tls.set_name("team-b/tls:443");
  bad_tls.mutable_tls()->set_verify(true);  // verification without a server name
  sets[std::string(kClusterType)] = Set("c2", {Pack(web), Pack(bad_tls)});

  v1::ClusterLoadAssignment assignment;
  assignment.set_cluster_name("default/web:80");
  v1::Endpoint* good = assignment.add_endpoints();
  good->set_address("10.0.0.1");
  good->set_port(8080);
  good->set_ready(true);
  v1::Endpoint* bad = assignment.add_endpoints();
  bad->set_address("not-an-ip");
  bad->set_ready(true);
  sets[std::string(kEndpointsType)] = Set("e2", {Pack(assignment)});

  v1::Listener https;
  https.set_name("https");
  v1::TlsCertificate* certificate = https.add_certificates();
  certificate->set_name("team-b/broken");
  certificate->set_certificate_chain("not a certificate");
  certificate->set_private_key("not a key");
  certificate->add_server_names("b.example.com");
  sets[std::string(kListenerType)].resources["https"] = Pack(https);

  v1::RouteConfiguration routes;
  routes.set_name("http");
  v1::VirtualHost* broken = routes.add_virtual_hosts();
  broken->set_name("b.example.com");
  broken->add_domains("b.example.com");
  v1::Route* regex = broken->add_routes();
  regex->mutable_match()->set_path_type(v1::RouteMatch::REGEX);
  regex->mutable_match()->set_path("/(");
  regex->set_cluster("default/web:80");
  v1::VirtualHost* fine = routes.add_virtual_hosts();
  fine->set_name("a.example.com");
  fine->add_domains("a.example.com");
  fine->set_default_cluster("default/web:80");
  sets[std::string(kRouteType)] = Set("r2", {Pack(routes)});

  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> config = DataplaneConfig::Build(sets);
  ASSERT_TRUE(config.ok()) << config.status();
  const std::vector<std::string> dropped = (*config)->dropped();
  ASSERT_EQ(dropped.size(), 4u) << absl::StrJoin(dropped, "\n");
  EXPECT_EQ(dropped[0], "cluster \"team-b/tls:443\": TLS verification needs a server name");
  EXPECT_EQ(dropped[1], "endpoints for cluster \"default/web:80\"[1]: bad address not-an-ip:0");
  EXPECT_EQ(dropped[2].rfind("certificate \"team-b/broken\": ", 0), 0u) << dropped[2];
  EXPECT_EQ(dropped[3].rfind("route configuration \"http\" virtual_hosts[0] (b.example.com)"
                             ".routes[0]: path regex \"/(\" does not compile",
                             0),
            0u)
      << dropped[3];
  // The rest is served.
  ASSERT_NE((*config)->FindCluster("default/web:80"), nullptr);
  EXPECT_EQ((*config)->FindCluster("default/web:80")->endpoints.size(), 1u);
  EXPECT_EQ((*config)->FindCluster("team-b/tls:443"), nullptr);
  ASSERT_NE((*config)->http_routes().Match("a.example.com", "/").cluster, nullptr);
  EXPECT_EQ((*config)->http_routes().Match("b.example.com", "/").virtual_host, nullptr);

  // A later endpoints change reuses the route table and the certificates, and still reports
  // what they left out.
  v1::ClusterLoadAssignment moved;
  moved.set_cluster_name("default/web:80");
  v1::Endpoint* other = moved.add_endpoints();
  other->set_address("10.0.0.9");
  other->set_port(8080);
  other->set_ready(true);
  sets[std::string(kEndpointsType)] = Set("e3", {Pack(moved)});
  absl::StatusOr<std::shared_ptr<const DataplaneConfig>> next =
      DataplaneConfig::Build(sets, config->get());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(&(*next)->http_routes(), &(*config)->http_routes());
  ASSERT_EQ((*next)->dropped().size(), 3u) << absl::StrJoin((*next)->dropped(), "\n");
  EXPECT_EQ((*next)->dropped()[1], dropped[2]);
  EXPECT_EQ((*next)->dropped()[2], dropped[3]);
  // Each type owns its own: the endpoints change itself left nothing out.
  EXPECT_TRUE((*next)->DroppedOf(kEndpointsType).empty());
  EXPECT_EQ((*next)->DroppedOf(kRouteType).size(), 1u);
  EXPECT_EQ((*next)->DroppedOf(kListenerType).size(), 1u);
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
