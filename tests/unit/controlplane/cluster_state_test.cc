#include "controlplane/cluster_state.h"

#include "absl/time/clock.h"
#include "common/resource_types.h"
#include "controlplane/source/manifest_parser.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane {
namespace {

source::KubeObject Service(const std::string& name, int port = 80) {
  source::kube::Service service;
  service.mutable_metadata()->set_namespace_("default");
  service.mutable_metadata()->set_name(name);
  service.mutable_spec()->add_ports()->set_port(port);
  return service;
}

source::KubeObject WebIngress() {
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

class ClusterStateTest : public ::testing::Test {
 protected:
  ClusterStateTest() : state_(Options(), &cache_) { state_.Start(); }
  static ClusterState::Options Options() {
    ClusterState::Options options;
    options.holdoff = absl::Milliseconds(30);
    options.max_delay = absl::Milliseconds(300);
    return options;
  }
  int ClusterCount() {
    auto snapshot = cache_.Current();
    return snapshot == nullptr ? -1 : snapshot->Find(kClusterType)->resources.size();
  }

  xds::SnapshotCache cache_;
  ClusterState state_;
};

TEST_F(ClusterStateTest, NoSnapshotBeforeSyncedThenOne) {
  state_.OnUpsert(Service("web"));
  state_.OnUpsert(WebIngress());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(cache_.Current(), nullptr);
  EXPECT_EQ(state_.rebuilds(), 0u);
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return cache_.Current() != nullptr; }));
  EXPECT_EQ(ClusterCount(), 1);
  EXPECT_EQ(state_.rebuilds(), 1u);
  ASSERT_EQ(state_.Reports().size(), 1u);
  EXPECT_EQ(state_.Reports()[0].state(), gatehouse::v1::IngressReport::ACCEPTED);
}

TEST_F(ClusterStateTest, EmptyWorldStillPublishesAFirstSnapshot) {
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return cache_.Current() != nullptr; }));
  EXPECT_EQ(ClusterCount(), 0);
}

TEST_F(ClusterStateTest, BurstIsDebouncedIntoFewRebuilds) {
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return state_.rebuilds() == 1; }));
  state_.OnUpsert(WebIngress());
  for (int port = 1; port <= 200; ++port) state_.OnUpsert(Service("web", port));
  state_.OnUpsert(Service("web", 80));
  ASSERT_TRUE(WaitFor([&] { return ClusterCount() == 1; }));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_LE(state_.rebuilds(), 3u);  // one, or a few if the burst outlasted the holdoff
  EXPECT_EQ(cache_.Current()->Find(kClusterType)->resources.size(), 1u);
}

TEST_F(ClusterStateTest, UnchangedObjectDoesNotRebuild) {
  state_.OnUpsert(Service("web"));
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return state_.rebuilds() == 1; }));
  state_.OnUpsert(Service("web"));
  state_.OnDelete(source::ObjectKey{source::Kind::kService, {"default", "nope"}});
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(state_.rebuilds(), 1u);
}

TEST_F(ClusterStateTest, DeleteRebuilds) {
  state_.OnUpsert(Service("web"));
  state_.OnUpsert(WebIngress());
  state_.OnSynced();
  ASSERT_TRUE(WaitFor([&] { return ClusterCount() == 1; }));
  uint64_t generation = cache_.generation();
  state_.OnDelete(source::ObjectKey{source::Kind::kIngress, {"default", "web"}});
  ASSERT_TRUE(WaitFor([&] { return ClusterCount() == 0; }));
  EXPECT_GT(cache_.generation(), generation);
  EXPECT_TRUE(state_.Reports().empty());
}

}  // namespace
}  // namespace gatehouse::controlplane
