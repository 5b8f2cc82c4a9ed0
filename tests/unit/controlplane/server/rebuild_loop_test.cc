#include "controlplane/server/rebuild_loop.h"

#include "absl/time/clock.h"
#include "common/resource_types.h"
#include "controlplane/source/manifest_parser.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane::server {
namespace {

objects::KubeObject Service(const std::string& name, int port = 80) {
  objects::kube::Service service;
  service.mutable_metadata()->set_namespace_("default");
  service.mutable_metadata()->set_name(name);
  service.mutable_spec()->add_ports()->set_port(port);
  return service;
}

objects::KubeObject WebIngress() {
  source::ParsedManifests parsed = source::ParseManifests(R"(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: gatehouse
  rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
)",
                                                          "t.yaml", {});
  EXPECT_EQ(parsed.objects.size(), 1u);
  return parsed.objects.at(0);
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(2)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class RebuildLoopTest : public ::testing::Test {
 protected:
  RebuildLoopTest() : state_(Options(), &cache_) { state_.Start(); }
  static RebuildLoop::Options Options() {
    RebuildLoop::Options options;
    options.holdoff = absl::Milliseconds(30);
    options.max_delay = absl::Milliseconds(300);
    return options;
  }
  int ClusterCount() {
    auto snapshot = cache_.Current();
    return snapshot == nullptr ? -1 : snapshot->Find(kClusterType)->resources.size();
  }

  xds::SnapshotCache cache_;
  RebuildLoop state_;
};

// When rebuilds are due (never before the source synced, bursts coalesced) is the Debouncer's,
// tested with the time passed in (debouncer_test.cc); an unchanged object changing nothing is the
// ObjectStore's (object_store_test.cc). These tests check the threaded shell joins them up.
TEST_F(RebuildLoopTest, SnapshotOnceSynced) {
  state_.OnUpsert(Service("web"));
  state_.OnUpsert(WebIngress());
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return cache_.Current() != nullptr; }));
  EXPECT_EQ(ClusterCount(), 1);
  EXPECT_EQ(state_.rebuilds(), 1u);
  ASSERT_EQ(state_.Reports().size(), 1u);
  EXPECT_EQ(state_.Reports()[0].state, translate::IngressReport::State::kAccepted);
}

TEST_F(RebuildLoopTest, EmptyWorldStillPublishesAFirstSnapshot) {
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return cache_.Current() != nullptr; }));
  EXPECT_EQ(ClusterCount(), 0);
}

TEST_F(RebuildLoopTest, BurstIsDebouncedIntoFewRebuilds) {
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return state_.rebuilds() == 1; }));
  state_.OnUpsert(WebIngress());
  for (int port = 1; port <= 200; ++port) state_.OnUpsert(Service("web", port));
  state_.OnUpsert(Service("web", 80));
  ASSERT_TRUE(WaitFor([&] { return ClusterCount() == 1; }));
  EXPECT_LE(state_.rebuilds(), 3u);  // one, or a few if the burst outlasted the holdoff
  EXPECT_EQ(cache_.Current()->Find(kClusterType)->resources.size(), 1u);
}

TEST_F(RebuildLoopTest, DeleteRebuilds) {
  state_.OnUpsert(Service("web"));
  state_.OnUpsert(WebIngress());
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return ClusterCount() == 1; }));
  uint64_t generation = cache_.generation();
  state_.OnDelete(objects::ObjectKey{objects::Kind::kIngress, {"default", "web"}});
  ASSERT_TRUE(WaitFor([&] { return ClusterCount() == 0; }));
  EXPECT_GT(cache_.generation(), generation);
  EXPECT_TRUE(state_.Reports().empty());
}

}  // namespace
}  // namespace gatehouse::controlplane::server

namespace gatehouse::controlplane::server {
namespace {

objects::KubeObject Slice(const std::string& name, const std::string& service,
                          const std::string& ip) {
  objects::kube::EndpointSlice slice;
  slice.mutable_metadata()->set_namespace_("default");
  slice.mutable_metadata()->set_name(name);
  (*slice.mutable_metadata()->mutable_labels())["kubernetes.io/service-name"] = service;
  slice.set_address_type("IPv4");
  slice.add_ports()->set_port(8080);
  slice.add_endpoints()->add_addresses(ip);
  return slice;
}

class EndpointFastPathTest : public RebuildLoopTest {
 protected:
  // The version of `type` in the current snapshot.
  std::string Version(absl::string_view type) { return cache_.Current()->Find(type)->version; }
  // The addresses of the one endpoint assignment of cluster default/web:80.
  std::vector<std::string> WebAddresses() {
    std::vector<std::string> out;
    for (const auto& any : cache_.Current()->Find(kEndpointsType)->resources) {
      gatehouse::v1::ClusterLoadAssignment assignment;
      EXPECT_TRUE(any.UnpackTo(&assignment));
      if (assignment.cluster_name() != "default/web:80") continue;
      for (const auto& endpoint : assignment.endpoints()) out.push_back(endpoint.address());
    }
    return out;
  }
};

TEST_F(EndpointFastPathTest, SliceChangesRebuildOnlyEndpointsAndMatchAFullTranslation) {
  state_.OnUpsert(Service("web"));
  state_.OnUpsert(WebIngress());
  state_.OnUpsert(Slice("web-a", "web", "10.0.0.1"));
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return cache_.Current() != nullptr; }));
  ASSERT_EQ(WebAddresses(), std::vector<std::string>{"10.0.0.1"});
  std::string clusters = Version(kClusterType);
  std::string routes = Version(kRouteType);
  uint64_t full_rebuilds = state_.rebuilds();

  // A new slice, a changed one and a deleted one: only endpoints move.
  state_.OnUpsert(Slice("web-b", "web", "10.0.0.2"));
  ASSERT_TRUE(WaitFor([&] { return WebAddresses().size() == 2; }));
  state_.OnUpsert(Slice("web-a", "web", "10.0.0.3"));
  ASSERT_TRUE(WaitFor([&] { return WebAddresses().front() == "10.0.0.2"; }));
  EXPECT_EQ(WebAddresses(), (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
  state_.OnDelete(objects::ObjectKey{objects::Kind::kEndpointSlice, {"default", "web-b"}});
  ASSERT_TRUE(WaitFor([&] { return WebAddresses().size() == 1; }));
  EXPECT_EQ(Version(kClusterType), clusters);
  EXPECT_EQ(Version(kRouteType), routes);
  EXPECT_EQ(state_.rebuilds(), full_rebuilds);  // no full translation ran

  // What the fast path published equals a full translation of the same world.
  std::string fast = Version(kEndpointsType);
  state_.OnUpsert(Service("web", 80));  // unchanged Service: nothing at all
  state_.OnUpsert(Service("other"));    // a real change: a full rebuild
  ASSERT_TRUE(WaitFor([&] { return state_.rebuilds() == full_rebuilds + 1; }));
  EXPECT_EQ(Version(kEndpointsType), fast);
  EXPECT_EQ(WebAddresses(), std::vector<std::string>{"10.0.0.3"});
}

}  // namespace
}  // namespace gatehouse::controlplane::server
