#include "dataplane/proxy/downstream_connection.h"

#include "common/log.h"

namespace gatehouse::dataplane::proxy {
namespace {

// Input waiting behind an unfinished response beyond this pauses reading.
constexpr size_t kMaxBufferedInput = 64 * 1024;

}  // namespace

DownstreamConnection::DownstreamConnection(WorkerContext& context, Owner& owner,
                                           std::unique_ptr<event::TcpConnection> tcp)
    : context_(context),
      owner_(owner),
      tcp_(std::move(*tcp)) {}

DownstreamConnection::~DownstreamConnection() {
  if (resume_scheduled_ || release_scheduled_) context_.dispatcher.CancelCallAfterIo(this);
  if (stream_ != nullptr) stream_->OnDownstreamReset("connection destroyed");
}

void DownstreamConnection::Start() {
  tcp_.SetCallbacks(this);
  tcp_.StartReading();
  UpdateTimeout();
}

void DownstreamConnection::UpdateTimeout() {
  if (closed_) return;
  Phase phase = codec_ == nullptr        ? Phase::kIdle
                : codec_->reading_head() ? Phase::kReadingHead
                : codec_->idle()         ? Phase::kIdle
                                         : Phase::kInStream;
  if (phase == phase_) return;
  phase_ = phase;
  switch (phase) {
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
    Close(http::CloseReason::kIdleTimeout, "idle timeout");
  }
}

void DownstreamConnection::OnData(event::Buffer& input) { ProcessInput(); }

void DownstreamConnection::ProcessInput() {
  if (closed_) return;
  event::Buffer& input = tcp_.input();
  size_t consumed = Codec().Dispatch(input.view());
  if (closed_) return;
  input.Consume(consumed);
  UpdateTimeout();
  if (input.size() > kMaxBufferedInput && !reading_paused_) tcp_.StopReading();
}

void DownstreamConnection::OnRemoteClose(absl::string_view error) {
  if (closed_) return;
  if (codec_ != nullptr) codec_->OnRemoteClose(error);
  Close(http::CloseReason::kPeerClosed, error.empty() ? "peer closed" : error);
}

http::RequestDecoder& DownstreamConnection::NewStream(http::ResponseEncoder& encoder) {
  if (stream_ != nullptr) context_.dispatcher.DeferDelete(std::move(stream_));
  stream_ = std::make_unique<ProxyStream>(context_, static_cast<ProxyStream::Owner&>(*this),
                                          encoder, owner_.current_config(),
                                          DownstreamInfo{"http", tcp_.local_port()});
  return *stream_;
}

void DownstreamConnection::PauseReading(bool paused) {
  if (closed_ || paused == reading_paused_) return;
  reading_paused_ = paused;
  if (paused) {
    tcp_.StopReading();
  } else {
    tcp_.StartReading();
  }
}

http::Http1ServerCodec& DownstreamConnection::Codec() {
  if (codec_ == nullptr) {
    codec_ = std::make_unique<http::Http1ServerCodec>(
        static_cast<http::Http1ServerCodec::Callbacks*>(this));
    if (draining_) codec_->Drain();
  }
  return *codec_;
}

void DownstreamConnection::Drain() {
  draining_ = true;
  if (codec_ != nullptr) codec_->Drain();
}

void DownstreamConnection::ScheduleRelease() {
  if (release_scheduled_) return;
  release_scheduled_ = true;
  // Not now: the codec is on the stack (it called OnReadyForNextRequest).
  context_.dispatcher.CallAfterIo(this, [](void* key) {
    auto* self = static_cast<DownstreamConnection*>(key);
    self->release_scheduled_ = false;
    if (!self->closed_ && self->stream_ == nullptr && self->idle()) self->codec_.reset();
  });
}

void DownstreamConnection::OnReadyForNextRequest() {
  if (closed_) return;
  UpdateTimeout();
  reading_paused_ = false;
  tcp_.StartReading();
  if (tcp_.input().empty()) ScheduleRelease();
  if (!tcp_.input().empty() && !resume_scheduled_) {
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
  if (stream_.get() == &stream) context_.dispatcher.DeferDelete(std::move(stream_));
}

void DownstreamConnection::CloseAfterWrites(http::CloseReason reason, absl::string_view detail) {
  if (closed_) return;
  closed_ = true;
  context_.stats.closed[static_cast<int>(reason)]->Increment();
  LOG_DEBUG("closing downstream connection after writes: ", detail);
  tcp_.CloseAfterWrites();
  owner_.OnConnectionClosed(*this);
}

void DownstreamConnection::Close(http::CloseReason reason, absl::string_view detail) {
  if (closed_) return;
  closed_ = true;
  context_.stats.closed[static_cast<int>(reason)]->Increment();
  LOG_DEBUG("closing downstream connection: ", detail);
  if (stream_ != nullptr) {
    std::unique_ptr<ProxyStream> stream = std::move(stream_);
    stream->OnDownstreamReset(detail);
    context_.dispatcher.DeferDelete(std::move(stream));
  }
  tcp_.Close();
  owner_.OnConnectionClosed(*this);
}

}  // namespace gatehouse::dataplane::proxy
