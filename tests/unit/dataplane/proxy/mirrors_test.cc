// Mirrors against a fake upstream connector the test plays, on a real event loop: a copy is an
// exchange of its own, and each of its costs is bounded (held body, copies in flight, time
// without progress).
#include "dataplane/proxy/mirrors.h"

#include <chrono>
#include <functional>
#include <thread>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"
#include "tests/unit/dataplane/fakes/fake_upstream.h"
#include "tests/unit/dataplane/fakes/test_config.h"

namespace gatehouse::dataplane::proxy {
namespace {

using Outcome = Mirrors::Outcome;

constexpr char kShadow[] = "default/shadow:80";
constexpr char kEmpty[] = "default/empty:80";
constexpr char kOther[] = "other/shadow:80";
// Enough clusters to fill a worker's copies in flight, a share each.
constexpr const char* kMany[] = {"m/0:80", "m/1:80", "m/2:80", "m/3:80",
                                 "m/4:80", "m/5:80", "m/6:80", "m/7:80"};

class MirrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.upstream_response_timeout = absl::Milliseconds(100);
    v1::RouteConfiguration routes;
    routes.set_name("http");
    fakes::TestClusters clusters = {
        {kShadow, {{"10.0.0.9", 8080}}}, {kEmpty, {}}, {kOther, {{"10.0.0.10", 8080}}}};
    for (const char* name : kMany) clusters[name] = {{"10.0.1.1", 8080}};
    config_ = fakes::BuildTestConfig(routes, clusters);
    OnLoop([&] {
      balancer_ = std::make_unique<upstream::LoadBalancer>(random_);
      balancer_->OnConfigUpdate(*config_);
      mirrors_ = std::make_unique<Mirrors>(loop_.dispatcher(), upstreams_, *balancer_, settings_);
    });
    for (int i = 0; i < Mirrors::kOutcomeCount; ++i) before_[i] = Count(static_cast<Outcome>(i));
  }
  void TearDown() override {
    loop_.Stop([&] {
      mirrors_->Clear();
      mirrors_.reset();
    });
  }

  void OnLoop(std::function<void()> fn) { loop_.RunOnLoop(std::move(fn)); }
  uint64_t Count(Outcome outcome) { return mirrors_->count(outcome); }
  // How many copies ended so since the test began.
  uint64_t Ended(Outcome outcome) { return Count(outcome) - before_[static_cast<int>(outcome)]; }
  bool WaitFor(std::function<bool()> done) {
    for (int i = 0; i < 300; ++i) {
      bool ok = false;
      OnLoop([&] { ok = done(); });
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static http::RequestHead Post(uint64_t length) {
    http::RequestHead head;
    head.method = "POST";
    head.target = "/copy";
    head.authority = "shadow";
    head.framing = http::BodyFraming::kContentLength;
    head.content_length = length;
    return head;
  }
  Mirrors::Id Start(http::RequestHead head, absl::string_view body, bool complete,
                    const char* cluster = kShadow) {
    return mirrors_->Start(config_, *config_->FindCluster(cluster), std::move(head), body,
                           complete);
  }

  event::RunningDispatcher loop_;
  ProxySettings settings_;
  fakes::FakeUpstreamConnector upstreams_;
  absl::InsecureBitGen random_;
  std::shared_ptr<const config::DataplaneConfig> config_;
  std::unique_ptr<upstream::LoadBalancer> balancer_;
  std::unique_ptr<Mirrors> mirrors_;
  uint64_t before_[Mirrors::kOutcomeCount] = {};
};

TEST_F(MirrorsTest, TheCopyIsSentWhenConnectedAndItsConnectionReusedAfterTheAnswer) {
  OnLoop([&] {
    Mirrors::Id id = Start(Post(10), "hello", false);
    ASSERT_NE(id, 0u);
    fakes::FakeUpstreamStream* copy = upstreams_.last();
    EXPECT_FALSE(copy->head.has_value());  // not connected yet: the body so far is held
    mirrors_->Feed(id, "-wor", false);
    copy->Connected();
    ASSERT_TRUE(copy->head.has_value());
    EXPECT_EQ(copy->head->target, "/copy");
    EXPECT_EQ(copy->body, "hello-wor");
    mirrors_->Feed(id, "d", true);
    EXPECT_EQ(copy->body, "hello-word");
    EXPECT_TRUE(copy->request_ended);
    copy->Respond(200, "dropped");
    EXPECT_EQ(upstreams_.released, 1);
    EXPECT_EQ(mirrors_->active(), 0u);
  });
  EXPECT_EQ(Ended(Outcome::kAnswered), 1u);
  EXPECT_EQ(upstreams_.acquired, std::vector<std::string>{"10.0.0.9:8080"});
}

TEST_F(MirrorsTest, ACompleteCopyOnAPooledConnectionGoesAtOnce) {
  upstreams_.reuse = true;
  OnLoop([&] {
    http::RequestHead head = Post(0);
    head.framing = http::BodyFraming::kNone;
    EXPECT_EQ(Start(std::move(head), "", true), 0u);  // nothing more to feed
    ASSERT_NE(upstreams_.last(), nullptr);
    EXPECT_TRUE(upstreams_.last()->request_ended);
    EXPECT_EQ(mirrors_->active(), 1u);  // until it is answered
  });
}

TEST_F(MirrorsTest, ACopyThatFallsBehindIsDroppedAndNeverHoldsMoreThanItsLimit) {
  fakes::FakeUpstreamStream* copy = nullptr;
  Mirrors::Id id = 0;
  OnLoop([&] {
    id = Start(Post(4 << 20), "", false);
    copy = upstreams_.last();
    copy->Connected();
    copy->write_blocked = true;  // the mirror's upstream takes nothing more
  });
  std::string chunk(64 << 10, 'x');
  size_t fed = 0;
  OnLoop([&] {
    while (mirrors_->active() == 1 && fed < (4u << 20)) {
      mirrors_->Feed(id, chunk, false);
      fed += chunk.size();
    }
    EXPECT_EQ(mirrors_->active(), 0u);
    EXPECT_EQ(upstreams_.live.size(), 1u);  // dropped on a later turn
  });
  EXPECT_LE(fed, Mirrors::kMaxHeld + chunk.size());
  EXPECT_EQ(Ended(Outcome::kFellBehind), 1u);
  ASSERT_TRUE(WaitFor([&] { return upstreams_.live.empty(); }));
  EXPECT_EQ(upstreams_.released, 0);  // a half-sent request's connection is not reused
  OnLoop([&] { mirrors_->Feed(id, "late", true); });  // the request goes on; nothing happens
}

TEST_F(MirrorsTest, HeldBodyIsSentWhenTheUpstreamTakesMoreAgain) {
  OnLoop([&] {
    Mirrors::Id id = Start(Post(6), "", false);
    fakes::FakeUpstreamStream* copy = upstreams_.last();
    copy->Connected();
    copy->write_blocked = true;
    mirrors_->Feed(id, "abc", false);
    mirrors_->Feed(id, "def", true);
    EXPECT_EQ(copy->body, "");
    copy->write_blocked = false;
    copy->decoder()->OnUpstreamWritable();
    EXPECT_EQ(copy->body, "abcdef");
    EXPECT_TRUE(copy->request_ended);
  });
}

TEST_F(MirrorsTest, ARequestThatDoesNotCompleteAbandonsItsCopy) {
  OnLoop([&] {
    Mirrors::Id id = Start(Post(100), "part", false);
    upstreams_.last()->Connected();
    mirrors_->Abandon(id);
    EXPECT_EQ(mirrors_->active(), 0u);
  });
  EXPECT_EQ(Ended(Outcome::kAbandoned), 1u);
  ASSERT_TRUE(WaitFor([&] { return upstreams_.live.empty(); }));
}

TEST_F(MirrorsTest, FailuresAndSilenceEndTheCopy) {
  OnLoop([&] {
    Start(Post(0), "", true);
    upstreams_.last()->Connected(absl::UnavailableError("refused"));
    Start(Post(0), "", true);
    upstreams_.last()->Connected();
    upstreams_.last()->decoder()->OnUpstreamReset("closed");
    Start(Post(0), "", true);  // connected, never answered
    upstreams_.last()->Connected();
  });
  EXPECT_EQ(Ended(Outcome::kFailed), 2u);
  // No progress for the upstream response timeout (100 ms here).
  ASSERT_TRUE(WaitFor([&] { return Ended(Outcome::kTimedOut) == 1; }));
  ASSERT_TRUE(WaitFor([&] { return upstreams_.live.empty(); }));
}

TEST_F(MirrorsTest, AnAnswerThatTricklesIsCutAtTheResponseTimeout) {
  fakes::FakeUpstreamStream* copy = nullptr;
  OnLoop([&] {
    Start(Post(0), "", true);
    copy = upstreams_.last();
    copy->Connected();
    http::ResponseHead head;
    head.status = 200;
    head.framing = http::BodyFraming::kChunked;
    copy->decoder()->DecodeResponseHeaders(std::move(head), false);
  });
  // A byte every 20 ms: response bytes do not extend the copy's 100 ms.
  for (int i = 0; i < 25 && Ended(Outcome::kTimedOut) == 0; ++i) {
    OnLoop([&] {
      if (mirrors_->active() == 1) copy->decoder()->DecodeResponseData("x", false);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Ended(Outcome::kTimedOut), 1u);
  EXPECT_EQ(Ended(Outcome::kAnswered), 0u);
}

TEST_F(MirrorsTest, AHeldBodyGoesUpInPiecesAsTheUpstreamTakesThem) {
  OnLoop([&] {
    std::string body(200 << 10, 'b');
    Mirrors::Id id = Start(Post(body.size()), body, false);
    fakes::FakeUpstreamStream* copy = upstreams_.last();
    copy->write_blocked = true;  // connected, and blocked at once
    copy->Connected();
    EXPECT_EQ(copy->body.size(), 0u);  // held, charged to the worker's copies
    copy->write_blocked = false;
    mirrors_->Feed(id, "", true);
    EXPECT_EQ(copy->body, body);
    EXPECT_TRUE(copy->request_ended);
  });
}

TEST_F(MirrorsTest, CopiesInFlightAreBoundedAndNeedAReadyEndpoint) {
  OnLoop([&] {
    EXPECT_EQ(Start(Post(0), "", false, kEmpty), 0u);
    for (size_t i = 0; i < Mirrors::kMaxActivePerCluster; ++i) {
      ASSERT_NE(Start(Post(1), "", false), 0u);
    }
    // One cluster holds its share: its next copy is not sent, another cluster's still is.
    EXPECT_EQ(Start(Post(1), "", false), 0u);
    EXPECT_EQ(mirrors_->active(kShadow), Mirrors::kMaxActivePerCluster);
    ASSERT_NE(Start(Post(1), "", false, kOther), 0u);
    EXPECT_EQ(mirrors_->active(kOther), 1u);
  });
  EXPECT_EQ(Ended(Outcome::kNotSent), 2u);
}

TEST_F(MirrorsTest, CopiesInFlightAreBoundedPerWorker) {
  OnLoop([&] {
    size_t started = 0;
    for (int c = 0; started < Mirrors::kMaxActive; ++c) {
      for (size_t i = 0; i < Mirrors::kMaxActivePerCluster && started < Mirrors::kMaxActive;
           ++i, ++started) {
        ASSERT_NE(Start(Post(1), "", false, kMany[c]), 0u);
      }
    }
    EXPECT_EQ(mirrors_->active(), Mirrors::kMaxActive);
    EXPECT_EQ(Start(Post(1), "", false, kOther), 0u);
  });
  EXPECT_EQ(Ended(Outcome::kNotSent), 1u);
}

TEST_F(MirrorsTest, ACopyWhosePooledConnectionFailsAtOnceLeavesNothingBehind) {
  upstreams_.reuse = true;
  upstreams_.answer_at_request_end = [](fakes::FakeUpstreamStream& stream) {
    stream.decoder()->OnUpstreamReset("closed at once");
  };
  OnLoop([&] {
    EXPECT_EQ(Start(Post(0), "", true), 0u);
    EXPECT_EQ(mirrors_->active(), 0u);
  });
  EXPECT_EQ(Ended(Outcome::kFailed), 1u);
  ASSERT_TRUE(WaitFor([&] { return upstreams_.live.empty(); }));
}

}  // namespace
}  // namespace gatehouse::dataplane::proxy
