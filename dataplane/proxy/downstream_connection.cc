#include "dataplane/proxy/downstream_connection.h"

#include "common/log.h"

namespace gatehouse::dataplane::proxy {
namespace {

// Input waiting behind an unfinished response beyond this pauses reading.
constexpr size_t kMaxBufferedInput = 64 * 1024;

// The certificates an accepted TLS connection chooses from: the config current at accept,
// which the connection keeps until its handshake is done. (The config is copied into the
// socket, not moved: the order arguments are evaluated in is not fixed.)
const tls::CertificateTable* CertificatesOf(
    const std::shared_ptr<const config::DataplaneConfig>& config) {
  return config != nullptr ? config->certificates() : nullptr;
}

}  // namespace

DownstreamConnection::DownstreamConnection(WorkerContext& context, Owner& owner,
                                           std::unique_ptr<event::TcpConnection> tcp,
                                           const tls::ServerContext* tls)
    : DownstreamConnection(context, owner, std::move(tcp), tls,
                           tls != nullptr ? owner.current_config() : nullptr) {}

DownstreamConnection::DownstreamConnection(
    WorkerContext& context, Owner& owner, std::unique_ptr<event::TcpConnection> tcp,
    const tls::ServerContext* tls, std::shared_ptr<const config::DataplaneConfig> handshake_config)
    : context_(context),
      owner_(owner),
      transport_(std::move(*tcp), context.dispatcher, tls, CertificatesOf(handshake_config),
                 handshake_config) {}

void DownstreamConnection::Write(std::string data) {
  if (closed_) return;
  if (phase_ == Phase::kTunnel) UpdateTimeout();  // bytes from the upstream count as activity
  transport_.Write(std::move(data));
  CheckWriteStall();
}

void DownstreamConnection::WriteCopy(absl::string_view data) {
  if (closed_) return;
  if (phase_ == Phase::kTunnel) UpdateTimeout();  // bytes from the upstream count as activity
  transport_.WriteCopy(data);
  CheckWriteStall();
}

void DownstreamConnection::CheckWriteStall() {
  if (closed_ || phase_ == Phase::kWriteStalled || !transport_.AboveHighWatermark()) return;
  phase_ = Phase::kWriteStalled;
  context_.send_timeouts.Arm(*this);
}

void DownstreamConnection::OnWritable() {
  if (closed_) return;
  if (phase_ == Phase::kWriteStalled) {
    phase_ = Phase::kNone;  // the queue drained: the timeout the state calls for applies again
    UpdateTimeout();
  }
  if (codec_ != nullptr) codec_->OnWritable();
}

DownstreamConnection::~DownstreamConnection() {
  if (resume_scheduled_ || release_scheduled_) context_.dispatcher.CancelCallAfterIo(this);
  // The codec lets go of its decoders first: they are the streams about to be freed.
  if (codec_ != nullptr) codec_->OnRemoteClose("connection destroyed");
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& stream : streams) stream->OnDownstreamReset("connection destroyed");
}

void DownstreamConnection::Start() {
  transport_.Start(this);
  transport_.StartReading();
  UpdateTimeout();
}

void DownstreamConnection::UpdateTimeout() {
  if (closed_ || phase_ == Phase::kWriteStalled) return;  // until the queue drains
  Phase phase = codec_ == nullptr        ? Phase::kIdle
                : codec_->reading_head() ? Phase::kReadingHead
                : codec_->idle()         ? Phase::kIdle
                : codec_->tunneling()    ? Phase::kTunnel
                                         : Phase::kInStream;
  // A tunnel's timeout starts again with every byte; the others only when the phase changes.
  if (phase == phase_ && phase != Phase::kTunnel) return;
  phase_ = phase;
  switch (phase) {
    case Phase::kTunnel:
      context_.tunnel_idle_timeouts.Arm(*this);
      break;
    case Phase::kIdle:
      context_.idle_timeouts.Arm(*this);
      break;
    case Phase::kReadingHead:
      context_.request_header_timeouts.Arm(*this);
      break;
    default:
      event::DeadlineQueue::Disarm(*this);
  }
}

void DownstreamConnection::OnDeadline() {
  if (closed_) return;
  if (phase_ == Phase::kReadingHead) {
    Codec().Reject(408, "request header timeout");
  } else if (phase_ == Phase::kIdle) {
    if (protocol_ == http::ServerProtocol::kHttp2 && codec_ != nullptr) {
      codec_->Drain(http::CloseReason::kIdleTimeout);  // GOAWAY first: the client will not retry
    } else {
      Close(http::CloseReason::kIdleTimeout, "idle timeout");
    }
  } else if (phase_ == Phase::kTunnel) {
    Close(http::CloseReason::kIdleTimeout, "tunnel idle timeout");
  } else if (phase_ == Phase::kWriteStalled) {
    Close(http::CloseReason::kSendTimeout, "the client took no bytes for the send timeout");
  }
}

void DownstreamConnection::OnData(event::Buffer& input) { ProcessInput(); }

void DownstreamConnection::ProcessInput() {
  if (closed_) return;
  event::Buffer& input = Input();
  if (protocol_ == http::ServerProtocol::kUnknownYet && !ChooseProtocol()) return;
  size_t consumed = Codec().Dispatch(input.view());
  if (closed_) return;
  input.Consume(consumed);
  UpdateTimeout();
  if (input.size() > kMaxBufferedInput && !reading_paused_) transport_.StopReading();
}

void DownstreamConnection::OnRemoteClose(absl::string_view error) {
  if (closed_) return;
  Close(http::CloseReason::kPeerClosed, error.empty() ? "peer closed" : error);
}

http::RequestDecoder& DownstreamConnection::NewStream(http::ResponseEncoder& encoder) {
  filters::DownstreamInfo downstream{transport_.secure() ? "https" : "http",
                                     transport_.local_port(), transport_.peer_ip()};
  downstream.proxy_protocol = transport_.proxy_protocol();
  downstream.secure = transport_.secure();
  downstream.client_certificate = transport_.peer_certificate();
  auto stream =
      std::make_unique<ProxyStream>(context_, static_cast<ProxyStream::Owner&>(*this), encoder,
                                    owner_.current_config(), std::move(downstream));
  ProxyStream& added = *stream;
  streams_.push_back(std::move(stream));
  return added;
}

void DownstreamConnection::PauseReading(bool paused) {
  if (closed_ || paused == reading_paused_) return;
  reading_paused_ = paused;
  if (paused) {
    transport_.StopReading();
  } else {
    transport_.StartReading();
  }
}

bool DownstreamConnection::ChooseProtocol() {
  if (transport_.secure()) {
    if (!transport_.handshake_done()) return false;
    protocol_ = http::ProtocolFromAlpn(transport_.alpn());
  } else {
    protocol_ = http::DetectCleartextProtocol(Input().view());
  }
  return protocol_ != http::ServerProtocol::kUnknownYet;
}

http::ServerCodec& DownstreamConnection::Codec() {
  if (codec_ == nullptr) {
    if (budget_ == nullptr && context_.settings.max_connection_buffer != 0) {
      budget_ = std::make_unique<event::BufferBudget>(context_.dispatcher,
                                                      context_.settings.max_connection_buffer);
      transport_.SetBudget(budget_.get());
    }
    codec_ = http::NewServerCodec(protocol_, static_cast<http::ServerCodec::Callbacks*>(this));
    if (draining_) codec_->Drain(http::CloseReason::kDrain);
  }
  return *codec_;
}

void DownstreamConnection::Drain() {
  draining_ = true;
  if (codec_ != nullptr) codec_->Drain(http::CloseReason::kDrain);
}

void DownstreamConnection::ScheduleRelease() {
  if (release_scheduled_ || protocol_ == http::ServerProtocol::kHttp2) return;
  release_scheduled_ = true;
  // Not now: the codec is on the stack (it called OnReadyForNextRequest).
  context_.dispatcher.CallAfterIo(this, [](void* key) {
    auto* self = static_cast<DownstreamConnection*>(key);
    self->release_scheduled_ = false;
    if (!self->closed_ && self->streams_.empty() && self->idle()) {
      self->codec_.reset();
      self->transport_.SetBudget(nullptr);
      self->budget_.reset();
    }
  });
}

void DownstreamConnection::OnReadyForNextRequest() {
  if (closed_) return;
  UpdateTimeout();
  reading_paused_ = false;
  transport_.StartReading();
  if (Input().empty()) ScheduleRelease();
  if (!Input().empty() && !resume_scheduled_) {
    // Parse what is already buffered on a fresh stack, not inside the response that just ended.
    resume_scheduled_ = true;
    context_.dispatcher.CallAfterIo(this, [](void* key) {
      auto* self = static_cast<DownstreamConnection*>(key);
      self->resume_scheduled_ = false;
      self->ProcessInput();
    });
  }
}

void DownstreamConnection::OnStreamDone(ProxyStream& stream) {
  for (auto it = streams_.begin(); it != streams_.end(); ++it) {
    if (it->get() != &stream) continue;
    context_.dispatcher.DeferDelete(std::move(*it));
    streams_.erase(it);
    return;
  }
}

void DownstreamConnection::CloseAfterWrites(http::CloseReason reason, absl::string_view detail) {
  if (closed_) return;
  closed_ = true;
  context_.stats.closed[static_cast<int>(reason)]->Increment();
  LOG_DEBUG("closing downstream connection after writes: ", detail);
  // The last bytes, then (TLS) close_notify; the owner hears when the socket is gone.
  transport_.CloseAfterWrites(
      event::TcpConnection::kDefaultLingerMs,
      {[](void* owner) { static_cast<Owner*>(owner)->OnLingerEnd(); }, &owner_});
  owner_.OnConnectionClosed(*this, /*lingers=*/true);
}

void DownstreamConnection::Close(http::CloseReason reason, absl::string_view detail) {
  if (closed_) return;
  closed_ = true;
  context_.stats.closed[static_cast<int>(reason)]->Increment();
  LOG_DEBUG("closing downstream connection: ", detail);
  // Through the codec first, so that none of its streams keeps a decoder about to be freed.
  if (codec_ != nullptr) codec_->OnRemoteClose(detail);
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& stream : streams) {
    stream->OnDownstreamReset(detail);
    context_.dispatcher.DeferDelete(std::move(stream));
  }
  transport_.Close();
  owner_.OnConnectionClosed(*this, /*lingers=*/false);
}

}  // namespace gatehouse::dataplane::proxy
