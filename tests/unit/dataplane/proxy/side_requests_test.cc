// Side requests (external auth's calls) against a fake upstream connector the test plays, on a
// real event loop: every cost is bounded, and one cluster cannot take the slots of the others,
// so one tenant's slow auth service never starves another tenant's authentication.
#include "dataplane/proxy/side_requests.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"
#include "tests/unit/dataplane/fakes/fake_upstream.h"
#include "tests/unit/dataplane/fakes/test_config.h"

namespace gatehouse::dataplane::proxy {
namespace {

constexpr char kSlow[] = "tenant-a/auth:80";
constexpr char kOther[] = "tenant-b/auth:80";
// Enough clusters to fill a worker's side requests, a share each.
constexpr const char* kMany[] = {"m/0:80", "m/1:80", "m/2:80", "m/3:80",
                                 "m/4:80", "m/5:80", "m/6:80", "m/7:80"};

class SideRequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::RouteConfiguration routes;
    routes.set_name("http");
    fakes::TestClusters clusters = {{kSlow, {{"10.0.0.8", 8080}}}, {kOther, {{"10.0.0.9", 8080}}}};
    for (const char* name : kMany) clusters[name] = {{"10.0.1.1", 8080}};
    config_ = fakes::BuildTestConfig(routes, clusters);
    OnLoop([&] {
      balancer_ = std::make_unique<upstream::LoadBalancer>(random_);
      balancer_->OnConfigUpdate(*config_);
      side_ = std::make_unique<SideRequests>(loop_.dispatcher(), upstreams_, *balancer_);
    });
  }
  void TearDown() override {
    loop_.Stop([&] {
      side_->Clear();
      side_.reset();
    });
  }
  void OnLoop(std::function<void()> fn) { loop_.RunOnLoop(std::move(fn)); }

  SideRequests::Id Send(const char* cluster, std::vector<filters::SideResponse>* answers) {
    http::RequestHead head;
    head.method = "GET";
    head.target = "/auth";
    head.authority = "auth";
    return side_->Send(
        config_, cluster, std::move(head), 60000,
        [answers](filters::SideResponse answer) { answers->push_back(std::move(answer)); });
  }

  event::RunningDispatcher loop_;
  fakes::FakeUpstreamConnector upstreams_;
  absl::InsecureBitGen random_;
  std::shared_ptr<const config::DataplaneConfig> config_;
  std::unique_ptr<upstream::LoadBalancer> balancer_;
  std::unique_ptr<SideRequests> side_;
};

TEST_F(SideRequestsTest, OneClusterCannotTakeEverySlot) {
  std::vector<filters::SideResponse> answers;
  OnLoop([&] {
    // The slow service never connects: its exchanges wait for their timeout.
    for (size_t i = 0; i < SideRequests::kMaxActivePerCluster; ++i) Send(kSlow, &answers);
    EXPECT_EQ(side_->active(kSlow), SideRequests::kMaxActivePerCluster);
    Send(kSlow, &answers);  // one more: refused at once
    EXPECT_EQ(side_->active(kSlow), SideRequests::kMaxActivePerCluster);
    // Another tenant's service still gets its request out.
    Send(kOther, &answers);
    EXPECT_EQ(side_->active(kOther), 1u);
    EXPECT_EQ(side_->active(), SideRequests::kMaxActivePerCluster + 1);
  });
  // The refused one is answered on a later turn, as a failure.
  OnLoop([] {});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_FALSE(answers[0].ok);
  EXPECT_EQ(answers[0].error, "too many side requests in flight to its cluster");
}

TEST_F(SideRequestsTest, AFinishedExchangeGivesItsClusterSlotBack) {
  std::vector<filters::SideResponse> answers;
  OnLoop([&] {
    SideRequests::Id id = Send(kSlow, &answers);
    EXPECT_EQ(side_->active(kSlow), 1u);
    side_->Cancel(id);
    EXPECT_EQ(side_->active(kSlow), 0u);
    for (size_t i = 0; i < SideRequests::kMaxActivePerCluster; ++i) Send(kSlow, &answers);
    EXPECT_EQ(side_->active(kSlow), SideRequests::kMaxActivePerCluster);
  });
  OnLoop([] {});
  EXPECT_TRUE(answers.empty());
}

TEST_F(SideRequestsTest, TheWorkersBoundHoldsAcrossClusters) {
  std::vector<filters::SideResponse> answers;
  OnLoop([&] {
    for (size_t sent = 0; sent < SideRequests::kMaxActive; ++sent) {
      Send(kMany[sent / SideRequests::kMaxActivePerCluster], &answers);
    }
    EXPECT_EQ(side_->active(), SideRequests::kMaxActive);
    Send(kOther, &answers);
    EXPECT_EQ(side_->active(kOther), 0u);
  });
  OnLoop([] {});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].error, "too many side requests in flight");
}

}  // namespace
}  // namespace gatehouse::dataplane::proxy
