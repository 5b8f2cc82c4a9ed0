// The config stream end to end: a real gRPC server on 127.0.0.1:0 and a real client stream.
// What the stream sends and when is StreamProtocol's, tested without a server in
// stream_protocol_test.cc; these tests check the shell: messages move both ways, a new snapshot
// wakes the stream, answers are recorded, and shutdown ends it.
#include "controlplane/xds/discovery_server.h"

#include <deque>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc_server.h"
#include "common/resource_types.h"
#include "gatehouse/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/xds/test_snapshots.h"

namespace gatehouse::controlplane::xds {
namespace {

using gatehouse::v1::DiscoveryRequest;
using gatehouse::v1::DiscoveryResponse;

// A data plane's side of the stream; responses are queued by a reader thread.
class TestClient {
 public:
  explicit TestClient(int port)
      : stub_(gatehouse::v1::ConfigDiscoveryService::NewStub(grpc::CreateChannel(
            absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stream_ = stub_->StreamConfig(&context_);
    reader_ = std::thread([this] {
      DiscoveryResponse response;
      while (stream_->Read(&response)) {
        absl::MutexLock lock(&mutex_);
        responses_.push_back(response);
      }
      absl::MutexLock lock(&mutex_);
      done_ = true;
    });
  }
  ~TestClient() {
    context_.TryCancel();
    reader_.join();
  }

  // Subscribes to every type, saying which versions it already runs.
  void Subscribe(const std::map<std::string, std::string>& versions = {}) {
    bool first = true;
    for (absl::string_view type : kResourceTypesInOrder) {
      DiscoveryRequest request;
      if (first) request.mutable_node()->set_id("dp-1");
      first = false;
      request.set_type_url(std::string(type));
      auto it = versions.find(std::string(type));
      if (it != versions.end()) request.set_version_info(it->second);
      ASSERT_TRUE(stream_->Write(request));
    }
  }
  void Ack(const DiscoveryResponse& response) { ASSERT_TRUE(stream_->Write(AckOf(response))); }
  void Nack(const DiscoveryResponse& response, const std::string& kept, const std::string& why) {
    ASSERT_TRUE(stream_->Write(NackOf(response, kept, why)));
  }

  // The next response, or nullopt after `timeout` (or when the stream ended).
  std::optional<DiscoveryResponse> Next(absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mutex_);
    auto ready = [this] { return !responses_.empty() || done_; };
    mutex_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (responses_.empty()) return std::nullopt;
    DiscoveryResponse response = std::move(responses_.front());
    responses_.pop_front();
    return response;
  }
  // Reads the four responses of one full push.
  std::vector<DiscoveryResponse> NextFour() {
    std::vector<DiscoveryResponse> out;
    for (int i = 0; i < 4; ++i) {
      std::optional<DiscoveryResponse> response = Next();
      if (!response.has_value()) break;
      out.push_back(*response);
    }
    return out;
  }
  bool WaitDone(absl::Duration timeout) {
    absl::MutexLock lock(&mutex_);
    return mutex_.AwaitWithTimeout(absl::Condition(&done_), timeout);
  }

 private:
  std::unique_ptr<gatehouse::v1::ConfigDiscoveryService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<DiscoveryRequest, DiscoveryResponse>> stream_;
  std::thread reader_;
  absl::Mutex mutex_;
  std::deque<DiscoveryResponse> responses_ ABSL_GUARDED_BY(mutex_);
  bool done_ ABSL_GUARDED_BY(mutex_) = false;
};

class DiscoveryServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<DiscoveryServer>(&cache_);
    auto running = StartGrpcServer(HostPort{"127.0.0.1", 0}, {server_.get()});
    ASSERT_TRUE(running.ok()) << running.status();
    grpc_ = *std::move(running);
  }
  void TearDown() override {
    server_->Shutdown();
    grpc_.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  // Waits until `check(status of the only stream)` holds.
  bool WaitForStatus(const std::function<bool(const StreamStatus&)>& check) {
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      std::vector<StreamStatus> streams = server_->Streams();
      if (streams.size() == 1 && check(streams[0])) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  SnapshotCache cache_;
  std::unique_ptr<DiscoveryServer> server_;
  RunningGrpcServer grpc_;
};

TEST_F(DiscoveryServerTest, TheFirstSnapshotReachesAnOpenStreamInTypeOrder) {
  TestClient client(grpc_.port);
  client.Subscribe();
  ASSERT_TRUE(WaitForStatus([](const StreamStatus& s) { return s.node_id == "dp-1"; }));
  cache_.Publish(MakeSnapshot({"default/web:80"}));
  std::vector<DiscoveryResponse> responses = client.NextFour();
  ASSERT_EQ(responses.size(), 4u);
  std::shared_ptr<const Snapshot> snapshot = cache_.Current();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(responses[i].type_url(), kResourceTypesInOrder[i]);
    EXPECT_EQ(responses[i].version_info(), snapshot->sets[i]->version);
    EXPECT_EQ(responses[i].nonce(), absl::StrCat(i + 1));
  }
  EXPECT_EQ(responses[0].resources_size(), 1);
  EXPECT_EQ(responses[1].resources_size(), 0);
  EXPECT_EQ(responses[2].resources_size(), 1);
}

TEST_F(DiscoveryServerTest, AcksAreRecordedPerType) {
  cache_.Publish(MakeSnapshot({"a:1"}));
  TestClient client(grpc_.port);
  client.Subscribe();
  std::vector<DiscoveryResponse> responses = client.NextFour();
  ASSERT_EQ(responses.size(), 4u);
  for (const auto& response : responses) client.Ack(response);
  ASSERT_TRUE(WaitForStatus([](const StreamStatus& s) { return s.acked_versions.size() == 4; }));
  StreamStatus status = server_->Streams()[0];
  EXPECT_EQ(status.node_id, "dp-1");
  EXPECT_THAT(status.peer, ::testing::HasSubstr("127.0.0.1"));
  EXPECT_EQ(status.acked_versions.at(std::string(kClusterType)), responses[0].version_info());
  EXPECT_EQ(status.acked_versions.at(std::string(kRouteType)), responses[3].version_info());
  EXPECT_TRUE(status.last_nacks.empty());
}

TEST_F(DiscoveryServerTest, NackIsRecordedAndANewSnapshotStillArrives) {
  cache_.Publish(MakeSnapshot({"a:1"}));
  TestClient client(grpc_.port);
  client.Subscribe();
  std::vector<DiscoveryResponse> first = client.NextFour();
  ASSERT_EQ(first.size(), 4u);
  client.Nack(first[0], "", "cluster a:1 is bad");
  for (int i = 1; i < 4; ++i) client.Ack(first[i]);
  ASSERT_TRUE(WaitForStatus([](const StreamStatus& s) {
    return s.last_nacks.size() == 1 && s.acked_versions.size() == 3;
  }));
  StreamStatus status = server_->Streams()[0];
  const StreamStatus::Nack& nack = status.last_nacks.at(std::string(kClusterType));
  EXPECT_EQ(nack.rejected_version, first[0].version_info());
  EXPECT_EQ(nack.kept_version, "");
  EXPECT_EQ(nack.message, "cluster a:1 is bad");
  EXPECT_EQ(status.acked_versions.count(std::string(kClusterType)), 0u);

  // A new snapshot wakes the stream: only the type that changed is pushed.
  cache_.Publish(MakeSnapshot({"a:1", "b:2"}));
  std::optional<DiscoveryResponse> next = client.Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->type_url(), kClusterType);
  EXPECT_EQ(next->resources_size(), 2);
  client.Ack(*next);
  ASSERT_TRUE(WaitForStatus([&](const StreamStatus& s) {
    return s.acked_versions.count(std::string(kClusterType)) == 1 &&
           s.sent_versions.at(std::string(kClusterType)) == next->version_info();
  }));
}

TEST_F(DiscoveryServerTest, ShutdownEndsStreams) {
  cache_.Publish(MakeSnapshot({"a:1"}));
  TestClient client(grpc_.port);
  client.Subscribe();
  ASSERT_EQ(client.NextFour().size(), 4u);
  ASSERT_TRUE(WaitForStatus([](const StreamStatus&) { return true; }));
  server_->Shutdown();
  EXPECT_TRUE(client.WaitDone(absl::Seconds(5)));
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!server_->Streams().empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(server_->Streams().empty());
}

}  // namespace
}  // namespace gatehouse::controlplane::xds
