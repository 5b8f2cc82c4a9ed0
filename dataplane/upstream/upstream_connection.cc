#include "dataplane/upstream/upstream_connection.h"

namespace gatehouse::dataplane::upstream {

absl::StatusOr<std::unique_ptr<UpstreamConnection>> UpstreamConnection::Connect(
    event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
    const config::EndpointAddress& endpoint) {
  std::unique_ptr<UpstreamConnection> connection(
      new UpstreamConnection(dispatcher, endpoint.Key(), cluster.ConnectionKey(endpoint)));
  absl::StatusOr<std::unique_ptr<transport::TransportSocket>> transport =
      transport::TransportSocket::Connect(dispatcher, endpoint.ip(), endpoint.port(),
                                          cluster.tls.get(), cluster.tls_server_name,
                                          connection.get());
  if (!transport.ok()) return transport.status();
  connection->transport_ = *std::move(transport);
  return connection;
}

UpstreamConnection::UpstreamConnection(event::Dispatcher& dispatcher, std::string endpoint_key,
                                       std::string connection_key)
    : dispatcher_(dispatcher),
      endpoint_key_(std::move(endpoint_key)),
      connection_key_(std::move(connection_key)),
      codec_(this) {}

UpstreamConnection::~UpstreamConnection() {
  if (resume_scheduled_) dispatcher_.CancelCallAfterIo(this);
}

void UpstreamConnection::OnConnect(const absl::Status& status) {
  if (status.ok()) {
    connected_ = true;
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
  if (idle_listener_ != nullptr) idle_listener_->OnIdleClose(*this);
}

void UpstreamConnection::StartIdle(IdleListener& listener, event::DeadlineQueue& timeouts) {
  SetListener(nullptr);
  SetDecoder(nullptr);
  idle_listener_ = &listener;
  timeouts.Arm(*this);
  ResumeReading();
}

void UpstreamConnection::EndIdle() {
  idle_listener_ = nullptr;
  event::DeadlineQueue::Disarm(*this);
}

void UpstreamConnection::OnDeadline() {
  if (idle_listener_ != nullptr) idle_listener_->OnIdleClose(*this);
}

void UpstreamConnection::PauseReading(bool paused) {
  if (closed_ || paused == reading_paused_) return;
  reading_paused_ = paused;
  if (paused) {
    transport_->StopReading();
  } else {
    transport_->StartReading();
    // Bytes read before the pause are still waiting: parsed on a fresh stack after this turn's
    // I/O, never inside the call that resumed reading. That call often comes from within this
    // connection's own dispatch (a response ending, its stream handing the connection back),
    // and a nested dispatch would free the buffer the outer one is still reading.
    if (!transport_->input().empty() && !resume_scheduled_) {
      resume_scheduled_ = true;
      dispatcher_.CallAfterIo(this, [](void* key) {
        auto* self = static_cast<UpstreamConnection*>(key);
        self->resume_scheduled_ = false;
        if (!self->closed_ && !self->reading_paused_ && !self->transport_->input().empty()) {
          self->OnData(self->transport_->input());
        }
      });
    }
  }
}

}  // namespace gatehouse::dataplane::upstream
