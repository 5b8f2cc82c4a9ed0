// ConfigClient against a scripted control plane: a real gRPC server on 127.0.0.1:0 whose
// responses the test writes and whose requests (subscriptions, ACKs, NACKs) it reads.
#include "dataplane/config/config_client.h"

#include <deque>
#include <optional>

#include "absl/synchronization/mutex.h"
#include "common/grpc_server.h"
#include "common/resource_types.h"
#include "gatehouse/v1/discovery.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::config {
namespace {

using v1::DiscoveryRequest;
using v1::DiscoveryResponse;

// Serves one stream at a time: the test sends responses and reads what the data plane says.
class ScriptedControlPlane final : public v1::ConfigDiscoveryService::Service {
 public:
  grpc::Status StreamConfig(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>* stream) override {
    context->AddInitialMetadata(std::string(kStreamOpenedMetadata), "1");
    stream->SendInitialMetadata();
    {
      absl::MutexLock lock(&mutex_);
      stream_ = stream;
      ++streams_;
    }
    DiscoveryRequest request;
    while (stream->Read(&request)) {
      absl::MutexLock lock(&mutex_);
      requests_.push_back(request);
      if (end_stream_) break;
    }
    absl::MutexLock lock(&mutex_);
    stream_ = nullptr;
    end_stream_ = false;
    return grpc::Status::OK;
  }

  void Send(const DiscoveryResponse& response) {
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(
        +[](grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>** s) {
          return *s != nullptr;
        },
        &stream_));
    stream_->Write(response);
  }
  // The next request, waiting up to 10 s.
  std::optional<DiscoveryRequest> Next() {
    absl::MutexLock lock(&mutex_);
    mutex_.AwaitWithTimeout(
        absl::Condition(
            +[](std::deque<DiscoveryRequest>* q) { return !q->empty(); }, &requests_),
        absl::Seconds(10));
    if (requests_.empty()) return std::nullopt;
    DiscoveryRequest request = std::move(requests_.front());
    requests_.pop_front();
    return request;
  }
  // Ends the current stream after the next request it reads.
  void EndStreamAfterNextRequest() {
    absl::MutexLock lock(&mutex_);
    end_stream_ = true;
  }
  int streams() {
    absl::MutexLock lock(&mutex_);
    return streams_;
  }

 private:
  absl::Mutex mutex_;
  grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>* stream_ ABSL_GUARDED_BY(mutex_) =
      nullptr;
  std::deque<DiscoveryRequest> requests_ ABSL_GUARDED_BY(mutex_);
  bool end_stream_ ABSL_GUARDED_BY(mutex_) = false;
  int streams_ ABSL_GUARDED_BY(mutex_) = 0;
};

template <typename T>
DiscoveryResponse Response(absl::string_view type, const std::string& version,
                           const std::string& nonce, const std::vector<T>& resources) {
  DiscoveryResponse response;
  response.set_type_url(std::string(type));
  response.set_version_info(version);
  response.set_nonce(nonce);
  for (const T& resource : resources) response.add_resources()->PackFrom(resource);
  return response;
}

v1::RouteConfiguration Routes(const std::string& regex_path) {
  v1::RouteConfiguration routes;
  routes.set_name("http");
  v1::VirtualHost* vhost = routes.add_virtual_hosts();
  vhost->set_name("*");
  vhost->add_domains("*");
  v1::Route* route = vhost->add_routes();
  route->mutable_match()->set_path_type(v1::RouteMatch::REGEX);
  route->mutable_match()->set_path(regex_path);
  route->set_cluster("web");
  return routes;
}

class ConfigClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto running = StartGrpcServer(HostPort{"127.0.0.1", 0}, {&control_plane_});
    ASSERT_TRUE(running.ok()) << running.status();
    grpc_ = *std::move(running);
    client_ = std::make_unique<ConfigClient>(
        std::vector<HostPort>{{"127.0.0.1", static_cast<uint16_t>(grpc_.port)}}, "dp-test",
        ConfigClient::Security{}, [this](std::shared_ptr<const DataplaneConfig> config) {
          absl::MutexLock lock(&mutex_);
          applied_.push_back(std::move(config));
        });
    client_->Start();
  }
  void TearDown() override {
    client_->Stop();
    grpc_.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }

  // Reads the four subscriptions a stream opens with; returns the versions they name.
  std::vector<std::string> Subscriptions() {
    std::vector<std::string> versions;
    for (absl::string_view type : kResourceTypesInOrder) {
      std::optional<DiscoveryRequest> request = control_plane_.Next();
      EXPECT_TRUE(request.has_value());
      if (!request.has_value()) break;
      EXPECT_EQ(request->type_url(), type);
      EXPECT_TRUE(request->response_nonce().empty());
      if (type == kClusterType) {
        EXPECT_EQ(request->node().id(), "dp-test");
      }
      versions.push_back(request->version_info());
    }
    return versions;
  }

  // Sends a whole valid world, version `v` of each type, and reads the four ACKs.
  void SendWorld(const std::string& v) {
    v1::Cluster cluster;
    cluster.set_name("web");
    v1::ClusterLoadAssignment assignment;
    assignment.set_cluster_name("web");
    v1::Listener listener;
    listener.set_name("http");
    listener.set_route_config_name("http");
    control_plane_.Send(Response(kClusterType, v, v + "-1", std::vector{cluster}));
    control_plane_.Send(Response(kEndpointsType, v, v + "-2", std::vector{assignment}));
    control_plane_.Send(Response(kListenerType, v, v + "-3", std::vector{listener}));
    control_plane_.Send(Response(kRouteType, v, v + "-4", std::vector{Routes("/a.*")}));
    for (int i = 1; i <= 4; ++i) {
      std::optional<DiscoveryRequest> ack = control_plane_.Next();
      ASSERT_TRUE(ack.has_value());
      EXPECT_EQ(ack->response_nonce(), absl::StrCat(v, "-", i));
      EXPECT_EQ(ack->version_info(), v);
      EXPECT_FALSE(ack->has_error_detail()) << ack->error_detail().message();
    }
  }

  size_t applied() {
    absl::MutexLock lock(&mutex_);
    return applied_.size();
  }

  ScriptedControlPlane control_plane_;
  RunningGrpcServer grpc_;
  std::unique_ptr<ConfigClient> client_;
  absl::Mutex mutex_;
  std::vector<std::shared_ptr<const DataplaneConfig>> applied_ ABSL_GUARDED_BY(mutex_);
};

TEST_F(ConfigClientTest, SubscribesThenAppliesAndAcksEachVersion) {
  EXPECT_THAT(Subscriptions(), ::testing::Each(""));
  SendWorld("v1");
  EXPECT_EQ(applied(), 4u);
  ConfigClient::Snapshot snapshot = client_->GetSnapshot();
  ASSERT_NE(snapshot.config, nullptr);
  EXPECT_TRUE(snapshot.config->complete());
  EXPECT_EQ(snapshot.config->VersionOf(kRouteType), "v1");
  EXPECT_THAT(snapshot.server, ::testing::HasSubstr("127.0.0.1"));
}

TEST_F(ConfigClientTest, AMalformedVersionIsNackedAndTheLastGoodOneKeepsServing) {
  Subscriptions();
  SendWorld("v1");
  v1::Listener not_routes;
  not_routes.set_name("http");
  control_plane_.Send(Response(kRouteType, "v2", "v2-4", std::vector{not_routes}));
  std::optional<DiscoveryRequest> nack = control_plane_.Next();
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->response_nonce(), "v2-4");
  EXPECT_EQ(nack->version_info(), "v1");  // the version it keeps
  ASSERT_TRUE(nack->has_error_detail());
  EXPECT_THAT(nack->error_detail().message(), ::testing::HasSubstr("is a type.googleapis.com/"));
  EXPECT_EQ(applied(), 4u);
  ConfigClient::Snapshot snapshot = client_->GetSnapshot();
  EXPECT_EQ(snapshot.config->VersionOf(kRouteType), "v1");
  EXPECT_THAT(snapshot.last_error, ::testing::HasSubstr("refused"));
}

// A version the data plane can serve only in part is applied without what it cannot serve; the
// NACK says it runs that version and names what was left out.
TEST_F(ConfigClientTest, AVersionServableInPartIsAppliedAndTheRestIsNamedInTheNack) {
  Subscriptions();
  SendWorld("v1");
  v1::RouteConfiguration routes = Routes("/(unclosed");
  v1::VirtualHost* fine = routes.add_virtual_hosts();
  fine->set_name("fine");
  fine->add_domains("fine.example.com");
  fine->set_default_cluster("web");
  control_plane_.Send(Response(kRouteType, "v2", "v2-4", std::vector{routes}));
  std::optional<DiscoveryRequest> nack = control_plane_.Next();
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->response_nonce(), "v2-4");
  EXPECT_EQ(nack->version_info(), "v2");  // it runs v2, without the bad host
  ASSERT_TRUE(nack->has_error_detail());
  EXPECT_THAT(nack->error_detail().message(),
              ::testing::HasSubstr("applied in part, without 1 resource: route configuration "
                                   "\"http\" virtual_hosts[0] (*).routes[0]: path regex"));
  EXPECT_EQ(applied(), 5u);
  ConfigClient::Snapshot snapshot = client_->GetSnapshot();
  EXPECT_EQ(snapshot.config->VersionOf(kRouteType), "v2");
  EXPECT_NE(snapshot.config->http_routes().Match("fine.example.com", "/").cluster, nullptr);
  EXPECT_EQ(snapshot.config->http_routes().Match("other.example.com", "/").cluster, nullptr);
  EXPECT_THAT(snapshot.last_error, ::testing::HasSubstr("v2 applied in part"));
}

TEST_F(ConfigClientTest, ReconnectsAndSaysWhichVersionsItRuns) {
  Subscriptions();
  SendWorld("v1");
  // The control plane ends the stream; the client comes back (after its backoff) and names
  // what it runs, so nothing needs resending.
  control_plane_.EndStreamAfterNextRequest();
  control_plane_.Send(Response(kRouteType, "v1", "again", std::vector{Routes("/a.*")}));
  std::optional<DiscoveryRequest> last = control_plane_.Next();
  ASSERT_TRUE(last.has_value());
  EXPECT_THAT(Subscriptions(), ::testing::Each("v1"));
  EXPECT_EQ(control_plane_.streams(), 2);
  EXPECT_NE(client_->GetSnapshot().config, nullptr);
}

}  // namespace
}  // namespace gatehouse::dataplane::config
