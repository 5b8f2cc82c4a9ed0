// DownstreamConnection on a real socket and loop, with an upstream the test plays, for the
// re-entrancy rule of docs/design.md ("Data plane inside"): no callback into the connection runs
// inside its own dispatch. Two pipelined requests arrive in one read; the upstream answers each
// from inside the call that sent it, so the first response ends while the connection is still
// parsing the bytes that held both. The second request must be parsed on a fresh stack
// afterwards, not from inside the first one's end.
#include "dataplane/proxy/downstream_connection.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/listen_socket.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"
#include "tests/unit/dataplane/fakes/fake_upstream.h"
#include "tests/unit/dataplane/fakes/test_config.h"
#include "tests/unit/dataplane/fakes/test_worker.h"

namespace gatehouse::dataplane::proxy {
namespace {

constexpr char kCluster[] = "default/web:80";

// a.test: everything to kCluster.
v1::RouteConfiguration Routes() {
  v1::RouteConfiguration routes;
  routes.set_name("http");
  v1::VirtualHost* host = routes.add_virtual_hosts();
  host->set_name("a.test");
  host->add_domains("a.test");
  v1::Route* route = host->add_routes();
  route->mutable_match()->set_path_type(v1::RouteMatch::PREFIX);
  route->mutable_match()->set_path("/");
  route->set_cluster(kCluster);
  return routes;
}

class DownstreamConnectionTest : public ::testing::Test, public DownstreamConnection::Owner {
 protected:
  void SetUp() override {
    config_ = fakes::BuildTestConfig(Routes(), {{kCluster, {{"10.0.0.1", 80}}}});
    ASSERT_NE(config_, nullptr);
    absl::StatusOr<int> fd = ListenTcp(HostPort{"127.0.0.1", 0}, /*reuse_port=*/false);
    ASSERT_TRUE(fd.ok()) << fd.status();
    port_ = BoundPort(*fd);
    loop_.RunOnLoop([this, fd = *fd] {
      worker_ = std::make_unique<fakes::TestWorker>(loop_.dispatcher(), upstreams_, settings_);
      worker_->balancer.OnConfigUpdate(*config_);
      listener_ = *event::TcpListener::Create(
          loop_.dispatcher(), fd, [this](std::unique_ptr<event::TcpConnection> tcp) {
            connection_ = std::make_unique<DownstreamConnection>(
                worker_->context, static_cast<DownstreamConnection::Owner&>(*this), std::move(tcp));
            connection_->Start();
          });
    });
  }
  void TearDown() override {
    if (client_ >= 0) close(client_);
    loop_.Stop([this] {
      connection_.reset();
      listener_.reset();
      worker_.reset();
    });
  }

  // DownstreamConnection::Owner
  void OnConnectionClosed(DownstreamConnection& connection, bool lingers) override {
    loop_.dispatcher().DeferDelete(std::move(connection_));
  }
  void OnLingerEnd() override {}
  std::shared_ptr<const config::DataplaneConfig> current_config() const override { return config_; }

  void Connect() {
    client_ = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(client_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(client_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    timeval timeout{5, 0};
    setsockopt(client_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }

  // Reads until `count` responses of body "ok" arrived, or the connection ends or times out.
  std::string ReadResponses(int count) {
    std::string got;
    char chunk[4096];
    while (CountOf(got, "\r\n\r\nok") < count) {
      ssize_t n = read(client_, chunk, sizeof(chunk));
      if (n <= 0) break;
      got.append(chunk, static_cast<size_t>(n));
    }
    return got;
  }
  static int CountOf(absl::string_view text, absl::string_view part) {
    int count = 0;
    for (size_t at = text.find(part); at != absl::string_view::npos;
         at = text.find(part, at + part.size())) {
      ++count;
    }
    return count;
  }

  // Before the loop: exchanges the loop deletes late still find their connector.
  fakes::FakeUpstreamConnector upstreams_;
  event::RunningDispatcher loop_;
  ProxySettings settings_;
  std::shared_ptr<const config::DataplaneConfig> config_;
  std::unique_ptr<fakes::TestWorker> worker_;         // loop thread only
  std::unique_ptr<event::TcpListener> listener_;      // loop thread only
  std::unique_ptr<DownstreamConnection> connection_;  // loop thread only
  uint16_t port_ = 0;
  int client_ = -1;
};

TEST_F(DownstreamConnectionTest, APipelinedRequestIsParsedAfterTheResponseBeforeItNotInsideIt) {
  // Loop thread only: whether the upstream's answer to the first request is on the stack, and
  // what that was when the second request reached the upstream.
  bool answering_first = false;
  std::vector<bool> sent_while_answering_first;
  fakes::FakeUpstreamStream* first = nullptr;
  upstreams_.reuse = true;  // ready at once, as a pooled connection is
  upstreams_.answer_at_request_end = [&](fakes::FakeUpstreamStream& exchange) {
    sent_while_answering_first.push_back(answering_first);
    if (first == nullptr) {
      first = &exchange;  // answered by the test, later, as an upstream's bytes would come
    } else {
      exchange.Respond(200, "ok");
    }
  };
  Connect();
  const std::string two =
      "GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n";
  ASSERT_EQ(write(client_, two.data(), two.size()), static_cast<ssize_t>(two.size()));
  bool waiting = false;
  for (int i = 0; i < 500 && !waiting; ++i) {
    loop_.RunOnLoop([&] { waiting = first != nullptr; });
    if (!waiting) absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(waiting);
  // The first response ends: the connection may read on, but not from inside this call.
  loop_.RunOnLoop([&] {
    answering_first = true;
    first->Respond(200, "ok");
    answering_first = false;
  });
  std::string responses = ReadResponses(2);
  EXPECT_EQ(CountOf(responses, "HTTP/1.1 200"), 2) << responses;
  std::vector<bool> seen;
  loop_.RunOnLoop([&] { seen = sent_while_answering_first; });
  EXPECT_EQ(seen, (std::vector<bool>{false, false}));
}

}  // namespace
}  // namespace gatehouse::dataplane::proxy
