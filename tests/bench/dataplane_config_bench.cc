// The data plane's side of issue 7's benchmark: applying a 100,000-route config. 10,000 virtual
// hosts × 10 routes over 10,000 clusters with 100,000 endpoints (10 each), packed into Any as
// they arrive on the config stream.
//
//   cmake --preset release && cmake --build --preset release --target dataplane_config_bench
//   build/release/bin/dataplane_config_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only
//
// BM_BuildFull is DataplaneConfig::Build on the four sets: everything a data plane does per new
// version (unpack and validate every resource, build the route table), starting from a copy of
// the sets as ConfigClient makes one (the candidate it applies a response to). BM_BuildEndpoints
// is the same after one cluster's endpoints changed, with the previous config given, so the
// route table is reused (the incremental-endpoints path).
//
// Build runs on the config client's thread, off the workers, and old configs are freed on a
// thread of their own; a worker only swaps a shared_ptr. The pauses workers actually see while
// a config is applied under load are measured by config_apply_bench.sh, not here.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/resource_types.h"
#include "dataplane/config/dataplane_config.h"

namespace gatehouse::dataplane::config {
namespace {

constexpr int kHosts = 10000;
constexpr int kRoutesPerHost = 10;
constexpr int kClusters = 10000;
constexpr int kEndpointsPerCluster = 10;

std::string ClusterName(int c) { return absl::StrCat("team-", c % 100, "/svc-", c, ":80"); }

std::string Address(int n) {
  return absl::StrCat("10.", n / 63500 % 256, ".", n / 254 % 250, ".", n % 254 + 1);
}

template <typename T>
void Add(ResourceSet& set, const std::string& name, const T& message) {
  set.resources[name].PackFrom(message);
}

v1::ClusterLoadAssignment Assignment(int c, int first_endpoint) {
  v1::ClusterLoadAssignment assignment;
  assignment.set_cluster_name(ClusterName(c));
  for (int e = 0; e < kEndpointsPerCluster; ++e) {
    v1::Endpoint* endpoint = assignment.add_endpoints();
    endpoint->set_address(Address(first_endpoint + e));
    endpoint->set_port(8080);
    endpoint->set_ready(true);
    endpoint->set_serving(true);
  }
  return assignment;
}

std::map<std::string, ResourceSet> World() {
  std::map<std::string, ResourceSet> sets;
  ResourceSet& clusters = sets[std::string(kClusterType)];
  ResourceSet& endpoints = sets[std::string(kEndpointsType)];
  clusters.version = "c1";
  endpoints.version = "e1";
  for (int c = 0; c < kClusters; ++c) {
    v1::Cluster cluster;
    cluster.set_name(ClusterName(c));
    Add(clusters, cluster.name(), cluster);
    Add(endpoints, cluster.name(), Assignment(c, c * kEndpointsPerCluster));
  }

  ResourceSet& listeners = sets[std::string(kListenerType)];
  listeners.version = "l1";
  v1::Listener listener;
  listener.set_name("http");
  listener.set_route_config_name("http");
  Add(listeners, "http", listener);

  ResourceSet& routes = sets[std::string(kRouteType)];
  routes.version = "r1";
  v1::RouteConfiguration config;
  config.set_name("http");
  for (int h = 0; h < kHosts; ++h) {
    v1::VirtualHost* vhost = config.add_virtual_hosts();
    std::string host = absl::StrCat("svc-", h, ".team-", h % 100, ".bench.example");
    vhost->set_name(host);
    vhost->add_domains(host);
    // Longest first, as the control plane orders them; every other one Exact.
    for (int p = kRoutesPerHost - 1; p >= 0; --p) {
      v1::Route* route = vhost->add_routes();
      route->mutable_match()->set_path_type(p % 2 == 0 ? v1::RouteMatch::PREFIX
                                                       : v1::RouteMatch::EXACT);
      route->mutable_match()->set_path(absl::StrCat("/api/v", p, std::string(p, 'x')));
      route->set_cluster(ClusterName((h + p) % kClusters));
    }
  }
  Add(routes, "http", config);
  return sets;
}

void BM_BuildFull(benchmark::State& state) {
  const std::map<std::string, ResourceSet> sets = World();
  for (auto _ : state) {
    auto config = DataplaneConfig::Build(sets);
    if (!config.ok()) {
      state.SkipWithError(std::string(config.status().message().substr(0, 200)).c_str());
      return;
    }
    benchmark::DoNotOptimize(config);
  }
  state.counters["routes"] = kHosts * kRoutesPerHost;
  state.counters["endpoints"] = kClusters * kEndpointsPerCluster;
}
BENCHMARK(BM_BuildFull)->Unit(benchmark::kMillisecond);

void BM_BuildEndpoints(benchmark::State& state) {
  std::map<std::string, ResourceSet> sets = World();
  auto previous = DataplaneConfig::Build(sets);
  if (!previous.ok()) {
    state.SkipWithError("initial build failed");
    return;
  }
  ResourceSet& endpoints = sets[std::string(kEndpointsType)];
  endpoints.version = "e2";
  Add(endpoints, ClusterName(0), Assignment(0, kClusters * kEndpointsPerCluster));
  for (auto _ : state) {
    auto config = DataplaneConfig::Build(sets, previous->get());
    benchmark::DoNotOptimize(config);
  }
}
BENCHMARK(BM_BuildEndpoints)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gatehouse::dataplane::config

BENCHMARK_MAIN();
