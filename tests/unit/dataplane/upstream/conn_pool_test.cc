// ConnPools on a real event loop against a real HTTP/1.1 upstream on 127.0.0.1: keep-alive
// reuse, idle connections the upstream closed, the idle timeout and cap, and endpoints that left
// the config.
#include "dataplane/upstream/conn_pool.h"

#include <chrono>
#include <functional>
#include <thread>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"
#include "tests/unit/dataplane/fakes/loopback_http_server.h"
#include "tests/unit/dataplane/fakes/test_config.h"

namespace gatehouse::dataplane::upstream {
namespace {

// Plays the proxy's part in one exchange: waits for the connection, sends a GET, reads the
// answer.
class Exchange : public UpstreamStream::Listener, public http::ResponseDecoder {
 public:
  void Start(UpstreamStream& stream, bool ready) {
    stream_ = &stream;
    stream.SetListener(this);
    if (ready) Send();
  }
  void OnConnect(UpstreamStream& stream, const absl::Status& status) override {
    connect_status = status;
    if (status.ok()) Send();
  }
  void DecodeResponseHeaders(http::ResponseHead head, bool end_stream) override {
    status = head.status;
    complete = end_stream;
  }
  void DecodeResponseData(absl::string_view data, bool end_stream) override {
    body.append(data.data(), data.size());
    complete = end_stream;
  }
  void DecodeResponseTrailers(http::HeaderMap) override { complete = true; }
  void OnUpstreamWritable() override {}
  void OnUpstreamReset(absl::string_view reason) override { reset = true; }

  absl::Status connect_status;
  int status = 0;
  std::string body;
  bool complete = false;
  bool reset = false;

 private:
  void Send() {
    stream_->SetDecoder(this);
    http::RequestHead head;
    head.method = "GET";
    head.target = "/";
    head.authority = "a.test";
    stream_->encoder().EncodeHeaders(head, true);
  }
  UpstreamStream* stream_ = nullptr;
};

class ConnPoolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = Config(upstream_.port());
    OnLoop([&] { pools_ = std::make_unique<ConnPools>(loop_.dispatcher()); });
  }
  void TearDown() override {
    loop_.Stop([&] {
      held_.reset();
      pools_.reset();
    });
  }

  std::shared_ptr<const config::DataplaneConfig> Config(uint16_t port) {
    v1::RouteConfiguration routes;
    routes.set_name("http");
    return fakes::BuildTestConfig(routes, {{"default/web:80", {{"127.0.0.1", port}}}});
  }
  const config::ClusterConfig& cluster() const { return *config_->FindCluster("default/web:80"); }

  void OnLoop(std::function<void()> fn) { loop_.RunOnLoop(std::move(fn)); }
  void UsePools(const PoolSettings& settings) {
    OnLoop([&] { pools_ = std::make_unique<ConnPools>(loop_.dispatcher(), settings); });
  }
  bool WaitFor(std::function<bool()> done) {
    for (int i = 0; i < 500; ++i) {
      bool ok = false;
      OnLoop([&] { ok = done(); });
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  // Runs one whole exchange; returns whether it went on a pooled connection.
  bool RoundTrip(bool release = true) {
    bool reused = false;
    Exchange exchange;
    OnLoop([&] {
      auto stream = pools_->Acquire(cluster(), cluster().endpoints[0], &reused);
      ASSERT_TRUE(stream.ok()) << stream.status();
      held_ = *std::move(stream);
      exchange.Start(*held_, reused);
    });
    EXPECT_TRUE(WaitFor([&] { return exchange.complete || exchange.reset; }));
    EXPECT_EQ(exchange.status, 200);
    EXPECT_EQ(exchange.body, "ok");
    OnLoop([&] {
      held_->SetListener(nullptr);
      held_->SetDecoder(nullptr);
      if (release) {
        pools_->Release(std::move(held_));
      } else {
        loop_.dispatcher().DeferDelete(std::move(held_));
      }
    });
    return reused;
  }

  fakes::LoopbackHttpServer upstream_;
  event::RunningDispatcher loop_;
  std::shared_ptr<const config::DataplaneConfig> config_;
  std::unique_ptr<ConnPools> pools_;
  std::unique_ptr<UpstreamStream> held_;
};

TEST_F(ConnPoolsTest, AReleasedConnectionServesTheNextExchange) {
  EXPECT_FALSE(RoundTrip());
  EXPECT_TRUE(RoundTrip());
  EXPECT_TRUE(RoundTrip());
  EXPECT_EQ(upstream_.accepted(), 1);
  EXPECT_EQ(upstream_.requests(), 3);
}

TEST_F(ConnPoolsTest, AConnectionNotReleasedIsNotReused) {
  EXPECT_FALSE(RoundTrip(/*release=*/false));
  EXPECT_FALSE(RoundTrip());
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(ConnPoolsTest, AnIdleConnectionTheUpstreamClosedLeavesThePool) {
  EXPECT_FALSE(RoundTrip());
  OnLoop([&] { EXPECT_EQ(pools_->idle_connections(), 1u); });
  upstream_.CloseAll();
  // The pool watches its idle sockets: the close is noticed without a request.
  EXPECT_TRUE(WaitFor([&] { return pools_->idle_connections() == 0; }));
  EXPECT_FALSE(RoundTrip());
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(ConnPoolsTest, EndpointsThatLeftTheConfigLoseTheirIdleConnections) {
  EXPECT_FALSE(RoundTrip());
  std::shared_ptr<const config::DataplaneConfig> other = Config(1);  // a different endpoint
  OnLoop([&] { pools_->OnConfigUpdate(*other); });
  EXPECT_FALSE(RoundTrip());
  EXPECT_EQ(upstream_.accepted(), 2);
  // The endpoint is still in the config: its idle connection stays.
  OnLoop([&] { pools_->OnConfigUpdate(*config_); });
  EXPECT_TRUE(RoundTrip());
}

TEST_F(ConnPoolsTest, IdleConnectionsCloseAfterTheIdleTimeout) {
  UsePools({.idle_timeout = absl::Milliseconds(100), .max_idle_per_endpoint = 64});
  EXPECT_FALSE(RoundTrip());
  OnLoop([&] { EXPECT_EQ(pools_->idle_connections(), 1u); });
  // Reuse within the timeout is still reuse, and starts the connection's idle time again.
  EXPECT_TRUE(RoundTrip());
  EXPECT_TRUE(WaitFor([&] { return pools_->idle_connections() == 0; }));
  EXPECT_TRUE(WaitFor([&] { return upstream_.open_connections() == 0; }));
  EXPECT_FALSE(RoundTrip());
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(ConnPoolsTest, AtMostMaxIdlePerEndpointAreKept) {
  UsePools({.idle_timeout = absl::Seconds(60), .max_idle_per_endpoint = 2});
  // Three exchanges at once need three connections; two of them are kept afterwards.
  std::vector<std::unique_ptr<UpstreamStream>> streams(3);
  std::vector<Exchange> exchanges(3);
  OnLoop([&] {
    for (size_t i = 0; i < streams.size(); ++i) {
      bool reused = false;
      auto stream = pools_->Acquire(cluster(), cluster().endpoints[0], &reused);
      ASSERT_TRUE(stream.ok()) << stream.status();
      streams[i] = *std::move(stream);
      exchanges[i].Start(*streams[i], reused);
    }
  });
  EXPECT_TRUE(WaitFor([&] {
    for (const Exchange& exchange : exchanges) {
      if (!exchange.complete) return false;
    }
    return true;
  }));
  OnLoop([&] {
    for (auto& stream : streams) {
      stream->SetListener(nullptr);
      stream->SetDecoder(nullptr);
      pools_->Release(std::move(stream));
    }
    EXPECT_EQ(pools_->idle_connections(), 2u);
  });
  EXPECT_TRUE(WaitFor([&] { return upstream_.open_connections() == 2; }));
  // None kept at all: every exchange connects.
  UsePools({.idle_timeout = absl::Seconds(60), .max_idle_per_endpoint = 0});
  EXPECT_FALSE(RoundTrip());
  EXPECT_FALSE(RoundTrip());
}

TEST_F(ConnPoolsTest, ClearClosesEveryIdleConnection) {
  EXPECT_FALSE(RoundTrip());
  OnLoop([&] { pools_->Clear(); });
  EXPECT_FALSE(RoundTrip());
}

}  // namespace
}  // namespace gatehouse::dataplane::upstream
