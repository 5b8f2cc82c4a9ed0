#include "dataplane/upstream/load_balancer.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::upstream {
namespace {

using v1::LoadBalancing;

config::ClusterConfig Cluster(int endpoints, int first = 1) {
  config::ClusterConfig cluster;
  cluster.name = "default/web:80";
  for (int i = first; i < first + endpoints; ++i) {
    cluster.endpoints.push_back({absl::StrCat("10.0.0.", i), 8080});
  }
  return cluster;
}

class LoadBalancerTest : public ::testing::Test {
 protected:
  absl::InsecureBitGen random_;
  LoadBalancer balancer_{random_};
  const absl::Time now_ = absl::Now();
};

TEST_F(LoadBalancerTest, RoundRobinTakesEachEndpointInTurn) {
  config::ClusterConfig cluster = Cluster(3);
  std::vector<std::string> picked;
  for (int i = 0; i < 6; ++i) {
    picked.push_back(balancer_.Pick(cluster, LoadBalancing::ROUND_ROBIN, {}, nullptr, now_)->ip());
  }
  EXPECT_EQ(picked, (std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1",
                                              "10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(balancer_.Pick(Cluster(0), LoadBalancing::ROUND_ROBIN), nullptr);
}

TEST_F(LoadBalancerTest, LeastRequestAvoidsTheBusyEndpoint) {
  config::ClusterConfig cluster = Cluster(2);
  for (int i = 0; i < 10; ++i) balancer_.OnRequestStart(cluster.endpoints[0]);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(balancer_.Pick(cluster, LoadBalancing::LEAST_REQUEST)->ip(), "10.0.0.2");
  }
  for (int i = 0; i < 10; ++i) balancer_.OnRequestEnd(cluster.endpoints[0]);
  for (int i = 0; i < 11; ++i) balancer_.OnRequestStart(cluster.endpoints[1]);
  EXPECT_EQ(balancer_.Pick(cluster, LoadBalancing::LEAST_REQUEST)->ip(), "10.0.0.1");
}

TEST_F(LoadBalancerTest, ConsistentHashKeepsKeysAndMovesFewWhenAnEndpointJoins) {
  config::ClusterConfig four = Cluster(4);
  config::ClusterConfig five = Cluster(5);
  std::map<std::string, std::string> before;
  int moved = 0;
  for (int k = 0; k < 2000; ++k) {
    std::string key = absl::StrCat("user-", k);
    std::string ip = balancer_.Pick(four, LoadBalancing::CONSISTENT_HASH, key)->ip();
    EXPECT_EQ(balancer_.Pick(four, LoadBalancing::CONSISTENT_HASH, key)->ip(), ip);  // stable
    std::string after = balancer_.Pick(five, LoadBalancing::CONSISTENT_HASH, key)->ip();
    if (after != ip) {
      ++moved;
      EXPECT_EQ(after, "10.0.0.5") << "a key moved between endpoints that stayed";
    }
    before[key] = ip;
  }
  // About a fifth of the keys move to the new endpoint; the rest stay where they were.
  EXPECT_GT(moved, 250);
  EXPECT_LT(moved, 550);
  std::set<std::string> used;
  for (const auto& [key, ip] : before) used.insert(ip);
  EXPECT_EQ(used.size(), 4u);
}

TEST_F(LoadBalancerTest, FailuresEjectForAGrowingTimeButNeverMoreThanHalf) {
  config::ClusterConfig cluster = Cluster(4);
  const config::EndpointAddress& bad = cluster.endpoints[0];
  for (int i = 0; i < LoadBalancer::kEjectAfterFailures - 1; ++i) {
    balancer_.OnFailure(cluster, bad, now_);
  }
  EXPECT_FALSE(balancer_.Ejected(bad, now_));
  balancer_.OnSuccess(bad);  // a success clears the count
  for (int i = 0; i < LoadBalancer::kEjectAfterFailures - 1; ++i) {
    balancer_.OnFailure(cluster, bad, now_);
  }
  EXPECT_FALSE(balancer_.Ejected(bad, now_));
  balancer_.OnFailure(cluster, bad, now_);
  EXPECT_TRUE(balancer_.Ejected(bad, now_));
  for (int i = 0; i < 40; ++i) {
    EXPECT_NE(balancer_.Pick(cluster, LoadBalancing::ROUND_ROBIN, {}, nullptr, now_)->ip(),
              "10.0.0.1");
  }
  // Back after the base time; ejected again, it stays out twice as long.
  absl::Time later = now_ + LoadBalancer::kBaseEjection + absl::Seconds(1);
  EXPECT_FALSE(balancer_.Ejected(bad, later));
  for (int i = 0; i < LoadBalancer::kEjectAfterFailures; ++i) {
    balancer_.OnFailure(cluster, bad, later);
  }
  EXPECT_TRUE(balancer_.Ejected(bad, later + 2 * LoadBalancer::kBaseEjection - absl::Seconds(1)));
  EXPECT_FALSE(balancer_.Ejected(bad, later + 2 * LoadBalancer::kBaseEjection + absl::Seconds(1)));

  // A second endpoint may go (two of four); a third may not.
  for (int e = 1; e <= 2; ++e) {
    for (int i = 0; i < LoadBalancer::kEjectAfterFailures; ++i) {
      balancer_.OnFailure(cluster, cluster.endpoints[e], later);
    }
  }
  EXPECT_TRUE(balancer_.Ejected(cluster.endpoints[1], later));
  EXPECT_FALSE(balancer_.Ejected(cluster.endpoints[2], later));
}

TEST_F(LoadBalancerTest, ARetryAvoidsTheEndpointThatFailedWhenItCan) {
  config::ClusterConfig cluster = Cluster(2);
  for (auto policy : {LoadBalancing::ROUND_ROBIN, LoadBalancing::LEAST_REQUEST,
                      LoadBalancing::CONSISTENT_HASH}) {
    for (int i = 0; i < 20; ++i) {
      const config::EndpointAddress* first = balancer_.Pick(cluster, policy, "key");
      const config::EndpointAddress* retry = balancer_.Pick(cluster, policy, "key", first);
      EXPECT_NE(retry->ip(), first->ip()) << LoadBalancing::Policy_Name(policy);
    }
  }
  config::ClusterConfig one = Cluster(1);
  EXPECT_EQ(balancer_.Pick(one, LoadBalancing::ROUND_ROBIN, {}, &one.endpoints[0]),
            &one.endpoints[0]);  // nowhere else to go
}

}  // namespace
}  // namespace gatehouse::dataplane::upstream
