#include "dataplane/upstream/http2_connection.h"

#include <algorithm>

namespace gatehouse::dataplane::upstream {

// One exchange on the connection.
class Http2Connection::Exchange : public UpstreamStream {
 public:
  explicit Exchange(Http2Connection* connection)
      : connection_(connection), encoder_(connection->codec_.NewStream(nullptr)) {}
  ~Exchange() override {
    if (connection_ != nullptr) connection_->Detach(this);
  }

  // UpstreamStream
  void SetListener(Listener* listener) override { listener_ = listener; }
  http::RequestEncoder& encoder() override { return *encoder_; }
  void SetDecoder(http::ResponseDecoder* decoder) override {
    if (connection_ != nullptr) connection_->codec_.SetDecoder(encoder_, decoder);
  }
  bool multiplexed() const override { return true; }
  const std::string& endpoint_key() const override { return endpoint_key_; }

  Http2Connection* connection_;  // null once the connection is gone
  http::RequestEncoder* encoder_;
  Listener* listener_ = nullptr;
  std::string endpoint_key_ = connection_->endpoint_key_;
};

absl::StatusOr<std::unique_ptr<Http2Connection>> Http2Connection::Connect(
    event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
    const config::EndpointAddress& endpoint, Owner* owner) {
  std::unique_ptr<Http2Connection> connection(new Http2Connection(
      endpoint.Key(), cluster.ConnectionKey(endpoint), cluster.tls != nullptr, owner));
  absl::StatusOr<std::unique_ptr<transport::TransportSocket>> transport =
      transport::TransportSocket::Connect(dispatcher, endpoint.ip(), endpoint.port(),
                                          cluster.tls.get(), cluster.tls_server_name,
                                          connection.get());
  if (!transport.ok()) return transport.status();
  connection->transport_ = *std::move(transport);
  return connection;
}

Http2Connection::Http2Connection(std::string endpoint_key, std::string connection_key, bool tls,
                                 Owner* owner)
    : endpoint_key_(std::move(endpoint_key)),
      connection_key_(std::move(connection_key)),
      owner_(owner),
      codec_(this, tls) {}

Http2Connection::~Http2Connection() {
  for (Exchange* exchange : exchanges_) exchange->connection_ = nullptr;
}

std::unique_ptr<UpstreamStream> Http2Connection::NewStream() {
  auto exchange = std::make_unique<Exchange>(this);
  exchanges_.push_back(exchange.get());
  return exchange;
}

bool Http2Connection::HasRoom() const {
  if (done_ || draining_) return false;
  if (!connected_) return exchanges_.size() < kStreamsBeforeSettings;
  return codec_.accepting() && codec_.streams() < codec_.max_streams();
}

void Http2Connection::Drain() {
  draining_ = true;
  if (exchanges_.empty()) Done();
}

void Http2Connection::Write(std::string data) {
  if (!connected_) {
    before_connect_ += data;
    return;
  }
  transport_->Write(std::move(data));
}

void Http2Connection::OnConnect(const absl::Status& status) {
  if (status.ok()) {
    connected_ = true;
    if (!before_connect_.empty()) transport_->Write(std::move(before_connect_));
    before_connect_.clear();
  } else {
    Done();  // out of the pool first: a retry must not wait on this connection again
  }
  // Listeners may drop their exchange (and so detach it) while being told.
  std::vector<Exchange*> waiting = exchanges_;
  for (Exchange* exchange : waiting) {
    if (std::find(exchanges_.begin(), exchanges_.end(), exchange) == exchanges_.end()) continue;
    if (exchange->listener_ != nullptr) exchange->listener_->OnConnect(*exchange, status);
  }
}

void Http2Connection::OnData(event::Buffer& input) {
  input.Consume(codec_.Dispatch(input.view()));
  if (codec_.finished()) Done();
}

void Http2Connection::OnRemoteClose(absl::string_view error) {
  codec_.OnRemoteClose(error);
  Done();
}

void Http2Connection::Detach(Exchange* exchange) {
  codec_.ReleaseStream(exchange->encoder_);
  exchanges_.erase(std::find(exchanges_.begin(), exchanges_.end(), exchange));
  // Nobody waits on a connection still connecting (their connect timeouts gave up), or on one
  // draining or told to go away: let it go.
  if (exchanges_.empty() && (draining_ || !connected_ || codec_.finished())) Done();
}

void Http2Connection::Done() {
  if (done_) return;
  done_ = true;
  owner_->OnConnectionDone(*this);
}

}  // namespace gatehouse::dataplane::upstream
