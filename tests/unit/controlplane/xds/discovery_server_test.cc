// The config stream end to end: a real gRPC server on 127.0.0.1:0 and a real client stream.
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

namespace gatehouse::controlplane::xds {
namespace {

using gatehouse::v1::DiscoveryRequest;
using gatehouse::v1::DiscoveryResponse;

Snapshot MakeSnapshot(const std::vector<std::string>& cluster_names) {
  std::vector<gatehouse::v1::Cluster> clusters;
  for (const std::string& name : cluster_names) clusters.emplace_back().set_name(name);
  gatehouse::v1::Listener listener;
  listener.set_name("http");
  Snapshot snapshot;
  snapshot.Put(MakeResourceSetOf(kClusterType, clusters));
  snapshot.Put(
      MakeResourceSetOf(kEndpointsType, std::vector<gatehouse::v1::ClusterLoadAssignment>{}));
  snapshot.Put(MakeResourceSetOf(kListenerType, std::vector{listener}));
  snapshot.Put(
      MakeResourceSetOf(kRouteType, std::vector<gatehouse::v1::RouteConfiguration>{}));
  return snapshot;
}

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
  void Ack(const DiscoveryResponse& response) {
    DiscoveryRequest request;
    request.set_type_url(response.type_url());
    request.set_version_info(response.version_info());
    request.set_response_nonce(response.nonce());
    ASSERT_TRUE(stream_->Write(request));
  }
  void Nack(const DiscoveryResponse& response, const std::string& kept, const std::string& why) {
    DiscoveryRequest request;
    request.set_type_url(response.type_url());
    request.set_version_info(kept);
    request.set_response_nonce(response.nonce());
    request.mutable_error_detail()->set_code(3);
    request.mutable_error_detail()->set_message(why);
    ASSERT_TRUE(stream_->Write(request));
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

TEST_F(DiscoveryServerTest, NothingBeforeTheFirstSnapshotThenEveryTypeInOrder) {
  TestClient client(grpc_.port);
  client.Subscribe();
  EXPECT_FALSE(client.Next(absl::Milliseconds(300)).has_value());
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

TEST_F(DiscoveryServerTest, NackIsRecordedAndNotResentUntilTheSnapshotChanges) {
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

  // The NACKed version is not sent again, not even when the same content is published again.
  cache_.Publish(MakeSnapshot({"a:1"}));
  EXPECT_FALSE(client.Next(absl::Milliseconds(300)).has_value());

  // A new snapshot with new clusters is pushed: only the type that changed.
  cache_.Publish(MakeSnapshot({"a:1", "b:2"}));
  std::optional<DiscoveryResponse> next = client.Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->type_url(), kClusterType);
  EXPECT_EQ(next->resources_size(), 2);
  EXPECT_EQ(next->nonce(), "5");
  EXPECT_FALSE(client.Next(absl::Milliseconds(300)).has_value());
}

TEST_F(DiscoveryServerTest, OneResponsePerTypeInFlightAndStaleNoncesIgnored) {
  cache_.Publish(MakeSnapshot({"a:1"}));
  TestClient client(grpc_.port);
  client.Subscribe();
  std::vector<DiscoveryResponse> first = client.NextFour();
  ASSERT_EQ(first.size(), 4u);
  // Clusters are awaiting their answer: a new snapshot sends nothing yet.
  cache_.Publish(MakeSnapshot({"a:1", "b:2"}));
  EXPECT_FALSE(client.Next(absl::Milliseconds(300)).has_value());
  DiscoveryResponse stale = first[0];
  stale.set_nonce("99");
  client.Ack(stale);  // a nonce never sent: ignored
  EXPECT_FALSE(client.Next(absl::Milliseconds(300)).has_value());
  EXPECT_EQ(server_->Streams()[0].acked_versions.count(std::string(kClusterType)), 0u);
  // The real answer releases the next clusters response: only what changed.
  client.Ack(first[0]);
  std::optional<DiscoveryResponse> second = client.Next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->type_url(), kClusterType);
  EXPECT_TRUE(second->incremental());
  ASSERT_EQ(second->resources_size(), 1);
  gatehouse::v1::Cluster added;
  ASSERT_TRUE(second->resources(0).UnpackTo(&added));
  EXPECT_EQ(added.name(), "b:2");
  EXPECT_EQ(second->removed_resources_size(), 0);
  EXPECT_EQ(second->version_info(), cache_.Current()->sets[0]->version);
}

// A snapshot whose clusters and endpoints are `clusters`, each with one endpoint `ip`, and one
// route per cluster in `routed`.
Snapshot WorldSnapshot(const std::map<std::string, std::string>& clusters,
                       const std::vector<std::string>& routed) {
  std::vector<gatehouse::v1::Cluster> cluster_list;
  std::vector<gatehouse::v1::ClusterLoadAssignment> assignments;
  for (const auto& [name, ip] : clusters) {
    cluster_list.emplace_back().set_name(name);
    gatehouse::v1::ClusterLoadAssignment& assignment = assignments.emplace_back();
    assignment.set_cluster_name(name);
    gatehouse::v1::Endpoint* endpoint = assignment.add_endpoints();
    endpoint->set_address(ip);
    endpoint->set_port(80);
    endpoint->set_ready(true);
  }
  gatehouse::v1::Listener listener;
  listener.set_name("http");
  listener.set_route_config_name("http");
  gatehouse::v1::RouteConfiguration routes;
  routes.set_name("http");
  gatehouse::v1::VirtualHost* vhost = routes.add_virtual_hosts();
  vhost->set_name("*");
  vhost->add_domains("*");
  for (const std::string& name : routed) {
    gatehouse::v1::Route* route = vhost->add_routes();
    route->mutable_match()->set_path_type(gatehouse::v1::RouteMatch::PREFIX);
    route->mutable_match()->set_path("/" + name);
    route->set_cluster(name);
  }
  Snapshot snapshot;
  snapshot.Put(MakeResourceSetOf(kClusterType, cluster_list));
  snapshot.Put(MakeResourceSetOf(kEndpointsType, assignments));
  snapshot.Put(MakeResourceSetOf(kListenerType, std::vector{listener}));
  snapshot.Put(MakeResourceSetOf(kRouteType, std::vector{routes}));
  return snapshot;
}

std::vector<std::string> Names(const DiscoveryResponse& response) {
  std::vector<std::string> names;
  for (const auto& resource : response.resources()) names.push_back(*ResourceName(resource));
  return names;
}

TEST_F(DiscoveryServerTest, OneEndpointChangeSendsOnlyThatClustersAssignment) {
  std::map<std::string, std::string> clusters;
  std::vector<std::string> routed;
  for (int i = 0; i < 100; ++i) {
    std::string name = absl::StrCat("ns/svc-", i, ":80");
    clusters[name] = absl::StrCat("10.0.", i, ".1");
    routed.push_back(name);
  }
  cache_.Publish(WorldSnapshot(clusters, routed));
  TestClient client(grpc_.port);
  client.Subscribe();
  for (const auto& response : client.NextFour()) client.Ack(response);
  ASSERT_TRUE(WaitForStatus([](const StreamStatus& s) { return s.acked_versions.size() == 4; }));

  clusters["ns/svc-42:80"] = "10.9.9.9";
  cache_.Publish(WorldSnapshot(clusters, routed));
  std::optional<DiscoveryResponse> update = client.Next();
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->type_url(), kEndpointsType);
  EXPECT_TRUE(update->incremental());
  EXPECT_THAT(Names(*update), ::testing::ElementsAre("ns/svc-42:80"));
  EXPECT_LT(update->ByteSizeLong(), 2048u);
  EXPECT_FALSE(client.Next(absl::Milliseconds(300)).has_value());
}

TEST_F(DiscoveryServerTest, RemovedClustersGoOnlyAfterTheRoutesThatUsedThem) {
  cache_.Publish(WorldSnapshot({{"old:80", "10.0.0.1"}}, {"old:80"}));
  TestClient client(grpc_.port);
  client.Subscribe();
  for (const auto& response : client.NextFour()) client.Ack(response);
  ASSERT_TRUE(WaitForStatus([](const StreamStatus& s) { return s.acked_versions.size() == 4; }));

  // The route moves from "old" to "new": "new" arrives first, "old" stays until the routes
  // that no longer use it are acknowledged.
  cache_.Publish(WorldSnapshot({{"new:80", "10.0.0.2"}}, {"new:80"}));
  std::vector<DiscoveryResponse> step = {*client.Next(), *client.Next(), *client.Next()};
  EXPECT_EQ(step[0].type_url(), kClusterType);
  EXPECT_THAT(Names(step[0]), ::testing::ElementsAre("new:80"));
  EXPECT_EQ(step[0].removed_resources_size(), 0);
  EXPECT_EQ(step[1].type_url(), kEndpointsType);
  EXPECT_THAT(Names(step[1]), ::testing::ElementsAre("new:80"));
  EXPECT_EQ(step[1].removed_resources_size(), 0);
  EXPECT_EQ(step[2].type_url(), kRouteType);
  client.Ack(step[0]);
  client.Ack(step[1]);
  EXPECT_FALSE(client.Next(absl::Milliseconds(300)).has_value());

  client.Ack(step[2]);
  std::optional<DiscoveryResponse> removal = client.Next();
  ASSERT_TRUE(removal.has_value());
  EXPECT_EQ(removal->type_url(), kClusterType);
  EXPECT_EQ(removal->resources_size(), 0);
  EXPECT_THAT(removal->removed_resources(), ::testing::ElementsAre("old:80"));
  EXPECT_EQ(removal->version_info(), cache_.Current()->sets[0]->version);
  client.Ack(*removal);
  std::optional<DiscoveryResponse> endpoints_removal = client.Next();
  ASSERT_TRUE(endpoints_removal.has_value());
  EXPECT_EQ(endpoints_removal->type_url(), kEndpointsType);
  EXPECT_THAT(endpoints_removal->removed_resources(), ::testing::ElementsAre("old:80"));
}

TEST_F(DiscoveryServerTest, ReconnectWithCurrentVersionsGetsNothing) {
  cache_.Publish(MakeSnapshot({"a:1"}));
  std::map<std::string, std::string> versions;
  {
    TestClient client(grpc_.port);
    client.Subscribe();
    for (const auto& response : client.NextFour())
      versions[response.type_url()] = response.version_info();
  }
  ASSERT_EQ(versions.size(), 4u);
  TestClient again(grpc_.port);
  versions.erase(std::string(kRouteType));  // pretend it lost its routes
  again.Subscribe(versions);
  std::optional<DiscoveryResponse> only = again.Next();
  ASSERT_TRUE(only.has_value());
  EXPECT_EQ(only->type_url(), kRouteType);
  EXPECT_FALSE(again.Next(absl::Milliseconds(300)).has_value());
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
