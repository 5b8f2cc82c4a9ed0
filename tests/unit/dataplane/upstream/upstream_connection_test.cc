// UpstreamConnection's re-entrancy rule (docs/design.md, "Data plane inside"): resuming reads
// never dispatches before the call returns. The proxy resumes a connection from inside its own
// dispatch (a response ends, the stream hands the connection back to the pool), and a nested
// dispatch there freed the buffer the outer parse was still reading.
#include "dataplane/upstream/upstream_connection.h"

#include <chrono>
#include <functional>
#include <thread>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"
#include "tests/unit/dataplane/fakes/loopback_http_server.h"
#include "tests/unit/dataplane/fakes/test_config.h"

namespace gatehouse::dataplane::upstream {
namespace {

// Pauses the body as a slow client would, and at the response's end resumes reading, as the
// pool does when the exchange hands the connection back.
class ResumingExchange : public UpstreamStream::Listener, public http::ResponseDecoder {
 public:
  explicit ResumingExchange(UpstreamConnection& connection) : connection_(connection) {}

  void OnConnect(UpstreamStream& stream, const absl::Status& status) override {
    ASSERT_TRUE(status.ok()) << status;
    connection_.SetDecoder(this);
    http::RequestHead head;
    head.method = "GET";
    head.target = "/";
    head.authority = "a.test";
    connection_.encoder().EncodeHeaders(head, true);
  }
  void DecodeResponseHeaders(http::ResponseHead head, bool end_stream) override {
    connection_.encoder().PauseResponseBody(true);
  }
  void DecodeResponseData(absl::string_view data, bool end_stream) override {
    if (!end_stream) return;
    connection_.SetDecoder(nullptr);
    connection_.ResumeReading();
    // The bytes after the response (an unsolicited one) are parsed later, not in that call.
    reusable_right_after_resume = connection_.Reusable();
    complete = true;
  }
  void DecodeResponseTrailers(http::HeaderMap) override {}
  void OnUpstreamWritable() override {}
  void OnUpstreamReset(absl::string_view reason) override { reset = true; }

  bool complete = false;
  bool reset = false;
  bool reusable_right_after_resume = false;

 private:
  UpstreamConnection& connection_;
};

TEST(UpstreamConnectionTest, ResumingReadsNeverDispatchesBeforeReturning) {
  // Each answer is followed, in the same write, by a second response nobody asked for.
  fakes::LoopbackHttpServer upstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
  v1::RouteConfiguration routes;
  routes.set_name("http");
  std::shared_ptr<const config::DataplaneConfig> config =
      fakes::BuildTestConfig(routes, {{"web", {{"127.0.0.1", upstream.port()}}}});
  const config::ClusterConfig& cluster = *config->FindCluster("web");
  event::RunningDispatcher loop;
  std::unique_ptr<UpstreamConnection> connection;
  std::unique_ptr<ResumingExchange> exchange;
  loop.RunOnLoop([&] {
    auto made = UpstreamConnection::Connect(loop.dispatcher(), cluster, cluster.endpoints[0]);
    ASSERT_TRUE(made.ok()) << made.status();
    connection = *std::move(made);
    exchange = std::make_unique<ResumingExchange>(*connection);
    connection->SetListener(exchange.get());
  });
  bool complete = false;
  for (int i = 0; i < 500 && !complete; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    loop.RunOnLoop([&] { complete = exchange->complete; });
  }
  ASSERT_TRUE(complete);
  EXPECT_TRUE(exchange->reusable_right_after_resume);
  // On a later turn the stray bytes are parsed, and the connection is no longer reusable.
  bool broken = false;
  for (int i = 0; i < 500 && !broken; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    loop.RunOnLoop([&] { broken = !connection->Reusable(); });
  }
  EXPECT_TRUE(broken);
  loop.Stop([&] { connection.reset(); });
}

}  // namespace
}  // namespace gatehouse::dataplane::upstream
