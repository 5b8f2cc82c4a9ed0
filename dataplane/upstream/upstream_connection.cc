#include "dataplane/upstream/upstream_connection.h"

namespace gatehouse::dataplane::upstream {

absl::StatusOr<std::unique_ptr<UpstreamConnection>> UpstreamConnection::Connect(
    event::Dispatcher& dispatcher, const config::EndpointAddress& endpoint) {
  std::unique_ptr<UpstreamConnection> connection(new UpstreamConnection(endpoint.Key()));
  absl::StatusOr<std::unique_ptr<event::TcpConnection>> tcp =
      event::TcpConnection::Connect(dispatcher, endpoint.ip, endpoint.port, connection.get());
  if (!tcp.ok()) return tcp.status();
  connection->tcp_ = *std::move(tcp);
  return connection;
}

UpstreamConnection::UpstreamConnection(std::string endpoint_key)
    : endpoint_key_(std::move(endpoint_key)), codec_(this) {}

UpstreamConnection::~UpstreamConnection() = default;

void UpstreamConnection::OnConnect(const absl::Status& status) {
  if (status.ok()) {
    connected_ = true;
    tcp_->StartReading();
  } else {
    closed_ = true;
  }
  if (listener_ != nullptr) listener_->OnConnect(*this, status);
}

void UpstreamConnection::OnData(event::Buffer& input) {
  size_t consumed = codec_.Dispatch(input.view());
  input.Consume(consumed);
}

void UpstreamConnection::OnRemoteClose(absl::string_view error) {
  closed_ = true;
  codec_.OnRemoteClose(error);
  if (listener_ != nullptr) listener_->OnClose(*this);
}

void UpstreamConnection::PauseReading(bool paused) {
  if (closed_ || paused == reading_paused_) return;
  reading_paused_ = paused;
  if (paused) {
    tcp_->StopReading();
  } else {
    tcp_->StartReading();
    // Bytes read before the pause are still waiting.
    if (!tcp_->input().empty()) OnData(tcp_->input());
  }
}

}  // namespace gatehouse::dataplane::upstream
