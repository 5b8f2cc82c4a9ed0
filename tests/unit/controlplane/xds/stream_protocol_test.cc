// The config stream's protocol with plain calls: requests in, responses out, no server and no
// waiting (the gRPC shell is discovery_server_test.cc's).
#include "controlplane/xds/stream_protocol.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/xds/test_snapshots.h"

namespace gatehouse::controlplane::xds {
namespace {

using gatehouse::v1::DiscoveryRequest;
using gatehouse::v1::DiscoveryResponse;
using Kind = StreamProtocol::Outcome::Kind;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::shared_ptr<const Snapshot> Shared(Snapshot snapshot) {
  return std::make_shared<const Snapshot>(std::move(snapshot));
}

// Subscribes to every type, saying which versions the data plane already runs.
void Subscribe(StreamProtocol& protocol, const std::map<std::string, std::string>& versions = {}) {
  bool first = true;
  for (absl::string_view type : kResourceTypesInOrder) {
    DiscoveryRequest request;
    if (first) request.mutable_node()->set_id("dp-1");
    request.set_type_url(std::string(type));
    auto it = versions.find(std::string(type));
    if (it != versions.end()) request.set_version_info(it->second);
    StreamProtocol::Outcome outcome = protocol.Handle(request);
    EXPECT_EQ(outcome.kind, Kind::kSubscribed);
    EXPECT_EQ(outcome.identified, first);
    first = false;
  }
}

StreamProtocol::Outcome Ack(StreamProtocol& protocol, const DiscoveryResponse& response) {
  return protocol.Handle(AckOf(response));
}

StreamProtocol::Outcome Nack(StreamProtocol& protocol, const DiscoveryResponse& response,
                             const std::string& kept, const std::string& why) {
  return protocol.Handle(NackOf(response, kept, why));
}

TEST(StreamProtocolTest, NothingBeforeTheFirstSnapshotThenEveryTypeInOrder) {
  StreamProtocol protocol;
  Subscribe(protocol);
  EXPECT_EQ(protocol.node_id(), "dp-1");
  EXPECT_THAT(protocol.Responses(nullptr), IsEmpty());
  std::shared_ptr<const Snapshot> snapshot = Shared(MakeSnapshot({"default/web:80"}));
  std::vector<DiscoveryResponse> responses = protocol.Responses(snapshot);
  ASSERT_EQ(responses.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(responses[i].type_url(), kResourceTypesInOrder[i]);
    EXPECT_EQ(responses[i].version_info(), snapshot->sets[i]->version);
    EXPECT_EQ(responses[i].nonce(), absl::StrCat(i + 1));
    EXPECT_FALSE(responses[i].incremental());
  }
  EXPECT_EQ(responses[0].resources_size(), 1);
  EXPECT_EQ(responses[1].resources_size(), 0);
  // Each awaits its answer: asking again sends nothing.
  EXPECT_THAT(protocol.Responses(snapshot), IsEmpty());
}

TEST(StreamProtocolTest, NackedVersionIsNotResentUntilTheSnapshotChanges) {
  StreamProtocol protocol;
  Subscribe(protocol);
  std::vector<DiscoveryResponse> first = protocol.Responses(Shared(MakeSnapshot({"a:1"})));
  ASSERT_EQ(first.size(), 4u);
  StreamProtocol::Outcome nack = Nack(protocol, first[0], "", "cluster a:1 is bad");
  EXPECT_EQ(nack.kind, Kind::kNack);
  EXPECT_EQ(nack.version, first[0].version_info());
  EXPECT_EQ(nack.kept_version, "");
  EXPECT_EQ(nack.message, "cluster a:1 is bad");
  for (int i = 1; i < 4; ++i) EXPECT_EQ(Ack(protocol, first[i]).kind, Kind::kAck);

  // The same content again: not resent.
  EXPECT_THAT(protocol.Responses(Shared(MakeSnapshot({"a:1"}))), IsEmpty());
  // New clusters: only the type that changed, all of it (the data plane never ran clusters).
  std::vector<DiscoveryResponse> next = protocol.Responses(Shared(MakeSnapshot({"a:1", "b:2"})));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].type_url(), kClusterType);
  EXPECT_EQ(next[0].resources_size(), 2);
  EXPECT_EQ(next[0].nonce(), "5");
}

// A data plane that applied a version without what it could not serve NACKs it while saying it
// runs it. It holds every resource of that version, not of the last ACKed one, so the next
// change goes whole (an incremental one from the ACKed content would leave stale resources),
// and going back to the ACKed content is sent too.
TEST(StreamProtocolTest, AVersionAppliedInPartIsWhatTheDataPlaneRunsNext) {
  StreamProtocol protocol;
  Subscribe(protocol);
  for (const auto& response : protocol.Responses(Shared(MakeSnapshot({"a:1"})))) {
    Ack(protocol, response);
  }
  std::vector<DiscoveryResponse> second = protocol.Responses(Shared(MakeSnapshot({"a:1", "b:2"})));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(second[0].incremental());
  StreamProtocol::Outcome nack =
      Nack(protocol, second[0], second[0].version_info(), "applied in part, without b:2");
  EXPECT_EQ(nack.kind, Kind::kNack);
  EXPECT_EQ(nack.kept_version, second[0].version_info());

  // Back to the content last ACKed: the data plane no longer runs it, so it is sent, whole.
  std::vector<DiscoveryResponse> back = protocol.Responses(Shared(MakeSnapshot({"a:1"})));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_FALSE(back[0].incremental());
  EXPECT_THAT(Names(back[0]), ElementsAre("a:1"));
  Ack(protocol, back[0]);
  // ACKed whole, the content is known again: the next change is incremental.
  std::vector<DiscoveryResponse> third = protocol.Responses(Shared(MakeSnapshot({"a:1", "c:3"})));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_TRUE(third[0].incremental());
  EXPECT_THAT(Names(third[0]), ElementsAre("c:3"));
}

TEST(StreamProtocolTest, OneResponsePerTypeInFlightAndStaleNoncesIgnored) {
  StreamProtocol protocol;
  Subscribe(protocol);
  std::vector<DiscoveryResponse> first = protocol.Responses(Shared(MakeSnapshot({"a:1"})));
  ASSERT_EQ(first.size(), 4u);
  std::shared_ptr<const Snapshot> second_snapshot = Shared(MakeSnapshot({"a:1", "b:2"}));
  EXPECT_THAT(protocol.Responses(second_snapshot), IsEmpty());  // clusters await their answer
  DiscoveryResponse stale = first[0];
  stale.set_nonce("99");
  EXPECT_EQ(Ack(protocol, stale).kind, Kind::kStaleNonce);
  EXPECT_THAT(protocol.Responses(second_snapshot), IsEmpty());
  EXPECT_EQ(Ack(protocol, first[0]).kind, Kind::kAck);
  std::vector<DiscoveryResponse> second = protocol.Responses(second_snapshot);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].type_url(), kClusterType);
  EXPECT_TRUE(second[0].incremental());
  EXPECT_THAT(Names(second[0]), ElementsAre("b:2"));
  EXPECT_EQ(second[0].removed_resources_size(), 0);
  EXPECT_EQ(second[0].version_info(), second_snapshot->sets[0]->version);
}

TEST(StreamProtocolTest, UnknownTypesAreIgnored) {
  StreamProtocol protocol;
  DiscoveryRequest request;
  request.set_type_url("type.googleapis.com/envoy.config.cluster.v3.Cluster");
  EXPECT_EQ(protocol.Handle(request).kind, Kind::kUnknownType);
  EXPECT_THAT(protocol.Responses(Shared(MakeSnapshot({"a:1"}))), IsEmpty());
}

TEST(StreamProtocolTest, OneEndpointChangeSendsOnlyThatClustersAssignment) {
  std::map<std::string, std::string> clusters;
  std::vector<std::string> routed;
  for (int i = 0; i < 100; ++i) {
    std::string name = absl::StrCat("ns/svc-", i, ":80");
    clusters[name] = absl::StrCat("10.0.", i, ".1");
    routed.push_back(name);
  }
  StreamProtocol protocol;
  Subscribe(protocol);
  for (const auto& response : protocol.Responses(Shared(WorldSnapshot(clusters, routed)))) {
    Ack(protocol, response);
  }
  clusters["ns/svc-42:80"] = "10.9.9.9";
  std::vector<DiscoveryResponse> update =
      protocol.Responses(Shared(WorldSnapshot(clusters, routed)));
  ASSERT_EQ(update.size(), 1u);
  EXPECT_EQ(update[0].type_url(), kEndpointsType);
  EXPECT_TRUE(update[0].incremental());
  EXPECT_THAT(Names(update[0]), ElementsAre("ns/svc-42:80"));
  EXPECT_LT(update[0].ByteSizeLong(), 2048u);
}

TEST(StreamProtocolTest, RemovedClustersGoOnlyAfterTheRoutesThatUsedThem) {
  StreamProtocol protocol;
  Subscribe(protocol);
  for (const auto& response :
       protocol.Responses(Shared(WorldSnapshot({{"old:80", "10.0.0.1"}}, {"old:80"})))) {
    Ack(protocol, response);
  }
  // The route moves from "old" to "new": "new" arrives first, "old" stays until the routes that
  // no longer use it are acknowledged.
  std::shared_ptr<const Snapshot> moved =
      Shared(WorldSnapshot({{"new:80", "10.0.0.2"}}, {"new:80"}));
  std::vector<DiscoveryResponse> step = protocol.Responses(moved);
  ASSERT_EQ(step.size(), 3u);
  EXPECT_EQ(step[0].type_url(), kClusterType);
  EXPECT_THAT(Names(step[0]), ElementsAre("new:80"));
  EXPECT_EQ(step[0].removed_resources_size(), 0);
  EXPECT_EQ(step[1].type_url(), kEndpointsType);
  EXPECT_THAT(Names(step[1]), ElementsAre("new:80"));
  EXPECT_EQ(step[1].removed_resources_size(), 0);
  EXPECT_EQ(step[2].type_url(), kRouteType);
  Ack(protocol, step[0]);
  Ack(protocol, step[1]);
  EXPECT_THAT(protocol.Responses(moved), IsEmpty());  // the routes are not yet run

  Ack(protocol, step[2]);
  std::vector<DiscoveryResponse> removal = protocol.Responses(moved);
  ASSERT_EQ(removal.size(), 2u);
  EXPECT_EQ(removal[0].type_url(), kClusterType);
  EXPECT_EQ(removal[0].resources_size(), 0);
  EXPECT_THAT(removal[0].removed_resources(), ElementsAre("old:80"));
  EXPECT_EQ(removal[0].version_info(), moved->sets[0]->version);
  EXPECT_EQ(removal[1].type_url(), kEndpointsType);
  EXPECT_THAT(removal[1].removed_resources(), ElementsAre("old:80"));
}

TEST(StreamProtocolTest, ReconnectWithCurrentVersionsGetsOnlyWhatItLacks) {
  std::shared_ptr<const Snapshot> snapshot = Shared(MakeSnapshot({"a:1"}));
  std::map<std::string, std::string> versions;
  {
    StreamProtocol first;
    Subscribe(first);
    for (const auto& response : first.Responses(snapshot)) {
      versions[response.type_url()] = response.version_info();
    }
  }
  ASSERT_EQ(versions.size(), 4u);
  versions.erase(std::string(kRouteType));  // it lost its routes
  StreamProtocol again;
  Subscribe(again, versions);
  std::vector<DiscoveryResponse> only = again.Responses(snapshot);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].type_url(), kRouteType);
  EXPECT_FALSE(only[0].incremental());
}

}  // namespace
}  // namespace gatehouse::controlplane::xds
