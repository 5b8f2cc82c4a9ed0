#include "controlplane/xds/snapshot_cache.h"

#include <atomic>

#include "common/resource_types.h"
#include "gatehouse/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane::xds {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

gatehouse::v1::Cluster MakeCluster(const std::string& name, uint32_t timeout = 5000) {
  gatehouse::v1::Cluster cluster;
  cluster.set_name(name);
  cluster.set_connect_timeout_ms(timeout);
  return cluster;
}

Snapshot MakeSnapshot(const std::vector<gatehouse::v1::Cluster>& clusters,
                      const std::string& listener_name = "http") {
  gatehouse::v1::Listener listener;
  listener.set_name(listener_name);
  Snapshot snapshot;
  snapshot.Put(MakeResourceSetOf(kClusterType, clusters));
  snapshot.Put(
      MakeResourceSetOf(kEndpointsType, std::vector<gatehouse::v1::ClusterLoadAssignment>{}));
  snapshot.Put(MakeResourceSetOf(kListenerType, std::vector{listener}));
  snapshot.Put(
      MakeResourceSetOf(kRouteType, std::vector<gatehouse::v1::RouteConfiguration>{}));
  return snapshot;
}

TEST(ResourceSetTest, VersionIsAContentHash) {
  ResourceSet a = MakeResourceSetOf(kClusterType, std::vector{MakeCluster("x"), MakeCluster("y")});
  ResourceSet same =
      MakeResourceSetOf(kClusterType, std::vector{MakeCluster("x"), MakeCluster("y")});
  ResourceSet changed =
      MakeResourceSetOf(kClusterType, std::vector{MakeCluster("x"), MakeCluster("y", 1)});
  ResourceSet reordered =
      MakeResourceSetOf(kClusterType, std::vector{MakeCluster("y"), MakeCluster("x")});
  ResourceSet other_type = MakeResourceSetOf(kListenerType, std::vector<gatehouse::v1::Listener>{});
  ResourceSet empty = MakeResourceSetOf(kClusterType, std::vector<gatehouse::v1::Cluster>{});
  EXPECT_EQ(a.version.size(), 16u);
  EXPECT_EQ(a.version, same.version);
  EXPECT_NE(a.version, changed.version);
  EXPECT_EQ(a.version, reordered.version);  // sorted by name: the input order does not matter
  EXPECT_NE(empty.version, other_type.version);
  EXPECT_FALSE(empty.version.empty());
  ASSERT_EQ(a.resources.size(), 2u);
  EXPECT_EQ(a.resources[0].type_url(), kClusterType);
  gatehouse::v1::Cluster unpacked;
  ASSERT_TRUE(a.resources[1].UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.name(), "y");
}

TEST(SnapshotCacheTest, FirstPublishChangesEveryType) {
  SnapshotCache cache;
  EXPECT_EQ(cache.Current(), nullptr);
  EXPECT_EQ(cache.generation(), 0u);
  EXPECT_THAT(cache.Publish(MakeSnapshot({MakeCluster("x")})),
              ElementsAre(kClusterType, kEndpointsType, kListenerType, kRouteType));
  ASSERT_NE(cache.Current(), nullptr);
  EXPECT_EQ(cache.generation(), 1u);
}

TEST(SnapshotCacheTest, NoOpRebuildPublishesNothing) {
  SnapshotCache cache;
  int calls = 0;
  int id = cache.AddWatcher([&calls] { ++calls; });
  cache.Publish(MakeSnapshot({MakeCluster("x")}));
  std::shared_ptr<const Snapshot> first = cache.Current();
  EXPECT_THAT(cache.Publish(MakeSnapshot({MakeCluster("x")})), IsEmpty());
  EXPECT_EQ(cache.Current(), first);  // the very same snapshot
  EXPECT_EQ(cache.generation(), 1u);
  EXPECT_EQ(calls, 1);
  cache.RemoveWatcher(id);
}

TEST(SnapshotCacheTest, OnlyChangedTypesAreReported) {
  SnapshotCache cache;
  std::atomic<int> calls{0};
  int id = cache.AddWatcher([&calls] { ++calls; });
  cache.Publish(MakeSnapshot({MakeCluster("x")}));
  EXPECT_THAT(cache.Publish(MakeSnapshot({MakeCluster("x"), MakeCluster("z")})),
              ElementsAre(kClusterType));
  EXPECT_THAT(cache.Publish(MakeSnapshot({MakeCluster("x"), MakeCluster("z")}, "https")),
              ElementsAre(kListenerType));
  EXPECT_EQ(cache.generation(), 3u);
  EXPECT_EQ(calls.load(), 3);
  cache.RemoveWatcher(id);
  cache.Publish(MakeSnapshot({}));
  EXPECT_EQ(calls.load(), 3);
}

TEST(SnapshotCacheTest, TwoCachesAgreeOnVersions) {
  SnapshotCache a;
  SnapshotCache b;
  a.Publish(MakeSnapshot({MakeCluster("x")}));
  b.Publish(MakeSnapshot({MakeCluster("x")}));
  for (absl::string_view type : kResourceTypesInOrder) {
    EXPECT_EQ(a.Current()->Find(type)->version, b.Current()->Find(type)->version);
  }
}

}  // namespace
}  // namespace gatehouse::controlplane::xds

namespace gatehouse::controlplane::xds {
namespace {

TEST(ReplaceResourcesTest, SameAsBuildingTheWholeSetAgain) {
  ResourceSet before = MakeResourceSetOf(
      kClusterType, std::vector{MakeCluster("a"), MakeCluster("b"), MakeCluster("c")});
  ResourceSet replaced = ReplaceResources(before, {PackDeterministic(MakeCluster("b", 7))});
  ResourceSet rebuilt = MakeResourceSetOf(
      kClusterType, std::vector{MakeCluster("a"), MakeCluster("b", 7), MakeCluster("c")});
  EXPECT_EQ(replaced.version, rebuilt.version);
  EXPECT_NE(replaced.version, before.version);
  EXPECT_EQ(replaced.names, rebuilt.names);
  EXPECT_EQ(replaced.content, rebuilt.content);
  // A name the set did not have is added in order.
  ResourceSet added = ReplaceResources(before, {PackDeterministic(MakeCluster("ab"))});
  EXPECT_EQ(added.names, (std::vector<std::string>{"a", "ab", "b", "c"}));
  EXPECT_EQ(added.version,
            MakeResourceSetOf(kClusterType, std::vector{MakeCluster("a"), MakeCluster("ab"),
                                                        MakeCluster("b"), MakeCluster("c")})
                .version);
}

}  // namespace
}  // namespace gatehouse::controlplane::xds
