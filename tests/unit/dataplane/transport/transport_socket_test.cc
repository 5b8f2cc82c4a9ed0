// TransportSocket over real sockets on 127.0.0.1, plain and TLS, both ends made of it: what one
// side writes the other reads as plaintext, a TLS client hears OnConnect only after the
// handshake and the certificate check, and closes reach the other side.
#include "dataplane/transport/transport_socket.h"

#include <fstream>
#include <sstream>

#include "common/listen_socket.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"

namespace gatehouse::dataplane::transport {
namespace {

std::string Read(const std::string& name) {
  std::ifstream file(std::string(GATEHOUSE_TLS_TESTDATA) + "/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// One end: records what it hears.
class End : public TransportSocket::Callbacks {
 public:
  void OnData(event::Buffer& input) override {
    received.append(std::string(input.view()));
    input.Consume(input.size());
  }
  void OnRemoteClose(absl::string_view error) override {
    closed = true;
    close_error = std::string(error);
  }
  void OnConnect(const absl::Status& status) override { connect = status; }

  std::string received;
  bool closed = false;
  std::string close_error;
  std::optional<absl::Status> connect;
};

class TransportSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<int> fd = ListenTcp(HostPort{"127.0.0.1", 0}, /*reuse_port=*/false);
    ASSERT_TRUE(fd.ok()) << fd.status();
    port_ = BoundPort(*fd);
    loop_.RunOnLoop([&] {
      auto listener = event::TcpListener::Create(
          loop_.dispatcher(), *fd, [this](std::unique_ptr<event::TcpConnection> tcp) {
            server_ = std::make_unique<TransportSocket>(std::move(*tcp), loop_.dispatcher(),
                                                        server_tls_.get(), nullptr, nullptr);
            server_->Start(&server_end_);
            server_->StartReading();
          });
      ASSERT_TRUE(listener.ok());
      listener_ = *std::move(listener);
    });
  }
  void TearDown() override {
    loop_.Stop([&] {
      client_.reset();
      server_.reset();
      listener_.reset();
    });
  }

  void Connect(const tls::ClientContext* tls, const std::string& name) {
    loop_.RunOnLoop([&] {
      auto socket =
          TransportSocket::Connect(loop_.dispatcher(), "127.0.0.1", port_, tls, name, &client_end_);
      ASSERT_TRUE(socket.ok()) << socket.status();
      client_ = *std::move(socket);
    });
  }

  bool WaitFor(std::function<bool()> done) {
    for (int i = 0; i < 1000; ++i) {
      bool ok = false;
      loop_.RunOnLoop([&] { ok = done(); });
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  // Both ways, then the client closes and the server hears it.
  void RoundTrip() {
    ASSERT_TRUE(WaitFor([&] { return client_end_.connect.has_value(); }));
    ASSERT_TRUE(client_end_.connect->ok()) << *client_end_.connect;
    loop_.RunOnLoop([&] {
      client_->Write("ping ");
      client_->WriteCopy("one");
    });
    ASSERT_TRUE(WaitFor([&] { return server_end_.received == "ping one"; }));
    loop_.RunOnLoop([&] { server_->Write("pong"); });
    ASSERT_TRUE(WaitFor([&] { return client_end_.received == "pong"; }));
    loop_.RunOnLoop([&] { client_->CloseAfterWrites(); });
    EXPECT_TRUE(WaitFor([&] { return server_end_.closed; }));
    EXPECT_EQ(server_end_.close_error, "");  // a clean end (with TLS: close_notify)
  }

  event::RunningDispatcher loop_;
  uint16_t port_ = 0;
  std::shared_ptr<const tls::ServerContext> server_tls_;  // null: plain
  std::unique_ptr<event::TcpListener> listener_;
  std::unique_ptr<TransportSocket> server_;
  std::unique_ptr<TransportSocket> client_;
  End server_end_;
  End client_end_;
};

TEST_F(TransportSocketTest, PlainBytesBothWays) {
  Connect(nullptr, "");
  RoundTrip();
  EXPECT_FALSE(server_->secure());
}

TEST_F(TransportSocketTest, TlsBytesBothWaysAfterAVerifiedHandshake) {
  auto server = tls::ServerContext::Create(Read("chain.crt"), Read("leaf.key"),
                                           tls::ServerSettings::Defaults());
  ASSERT_TRUE(server.ok()) << server.status();
  server_tls_ = *server;
  auto client = tls::ClientContext::Create(/*verify=*/true, Read("ca.crt"), /*http2=*/false);
  ASSERT_TRUE(client.ok()) << client.status();
  Connect(client->get(), "chain.test");
  RoundTrip();
  EXPECT_TRUE(server_->secure());
  EXPECT_TRUE(server_->handshake_done());
  EXPECT_EQ(server_->alpn(), "http/1.1");
}

TEST_F(TransportSocketTest, TlsClientRefusesACertificateForAnotherName) {
  auto server = tls::ServerContext::Create(Read("chain.crt"), Read("leaf.key"),
                                           tls::ServerSettings::Defaults());
  ASSERT_TRUE(server.ok());
  server_tls_ = *server;
  auto client = tls::ClientContext::Create(/*verify=*/true, Read("ca.crt"), /*http2=*/false);
  ASSERT_TRUE(client.ok());
  Connect(client->get(), "other.test");
  ASSERT_TRUE(WaitFor([&] { return client_end_.connect.has_value(); }));
  EXPECT_FALSE(client_end_.connect->ok());
  EXPECT_FALSE(client_end_.closed);  // reported once, as a failed connect
}

TEST_F(TransportSocketTest, ConnectRefusedIsReported) {
  loop_.RunOnLoop([&] { listener_.reset(); });
  Connect(nullptr, "");
  ASSERT_TRUE(WaitFor([&] { return client_end_.connect.has_value(); }));
  EXPECT_FALSE(client_end_.connect->ok());
}

TEST_F(TransportSocketTest, WritesOfOneTurnCountUntilSent) {
  auto server = tls::ServerContext::Create(Read("chain.crt"), Read("leaf.key"),
                                           tls::ServerSettings::Defaults());
  ASSERT_TRUE(server.ok());
  server_tls_ = *server;
  auto client = tls::ClientContext::Create(/*verify=*/false, "", /*http2=*/false);
  ASSERT_TRUE(client.ok());
  Connect(client->get(), "");
  ASSERT_TRUE(WaitFor([&] { return client_end_.connect.has_value(); }));
  size_t pending_in_turn = 0;
  loop_.RunOnLoop([&] {
    client_->Write(std::string(1000, 'x'));
    pending_in_turn = client_->pending_write_bytes();  // not yet encrypted, still counted
  });
  EXPECT_GE(pending_in_turn, 1000u);
  ASSERT_TRUE(WaitFor([&] { return server_end_.received.size() == 1000; }));
}

}  // namespace
}  // namespace gatehouse::dataplane::transport
