#include "dataplane/http/http2_server_codec.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dataplane/event/buffer.h"
#include "dataplane/http/http2_common.h"

namespace gatehouse::dataplane::http {
// One client stream: its request as it arrives, and the encoder of its response.
class Http2ServerCodec::Stream : public ResponseEncoder, private event::DeadlineQueue::Entry {
 public:
  Stream(Http2ServerCodec& codec, int32_t id) : codec_(codec), id_(id) {}
  ~Stream() override {
    if (charged_ != 0) codec_.callbacks_->buffer_budget()->Release(charged_);
  }

  // ResponseEncoder
  void EncodeHeaders(const ResponseHead& head, bool end_stream) override;
  void EncodeData(absl::string_view data, bool end_stream) override;
  void EncodeTrailers(const HeaderMap& trailers) override;
  // Whoever sees true waits for OnDownstreamWritable, which blocked_ makes sure comes.
  bool WriteBlocked() const override {
    bool blocked = body_.over_watermark() || codec_.callbacks_->WriteBlocked();
    if (!blocked && charged_ != 0 && codec_.callbacks_->buffer_budget()->Blocks(body_.pending())) {
      blocked = budget_blocked_ = true;
      codec_.WaitForBudget();
    }
    if (blocked) blocked_ = true;
    return blocked;
  }
  void PauseRequestBody(bool paused) override;
  std::string peer_ip() const override { return codec_.callbacks_->peer_ip(); }
  void ResetStream(absl::string_view detail) override;

  // `length` request body bytes arrived; acknowledged at once unless the body is paused.
  void OnBodyBytes(size_t length);
  // Charges the connection's budget with what the response body holds now.
  void ChargeBody();
  // The response body's send deadline runs while it has bytes nghttp2 has not taken, from the
  // last time it took some: a client holding its window at 0 cannot hold the stream forever.
  // Called after bytes were added (`progress` false) or taken (`progress` true).
  void UpdateSendDeadline(bool progress);
  void StopSendDeadline() { event::DeadlineQueue::Disarm(*this); }
  // event::DeadlineQueue::Entry: the client took none of the body for the send timeout.
  void OnDeadline() override;
  // Ends the stream with RST_STREAM(`error_code`), dropping the response body not yet sent; a
  // decoder still attached hears `tell_decoder` unless it is empty.
  void Reset(uint32_t error_code, absl::string_view tell_decoder);

  Http2ServerCodec& codec_;
  const int32_t id_;
  RequestHead head_;
  std::string method_, authority_, path_;  // :scheme is the connection's, whatever it says
  std::string cookie_;                     // cookie crumbs, joined again (RFC 9113 section 8.2.3)
  HeaderMap trailers_in_;
  size_t head_bytes_ = 0;
  bool head_too_large_ = false;
  bool head_done_ = false;
  bool request_ended_ = false;
  RequestDecoder* decoder_ = nullptr;  // null before the head and once the response is encoded
  bool response_started_ = false;
  bool response_ended_ = false;   // the proxy encoded the whole response
  mutable bool blocked_ = false;  // WriteBlocked was reported; the decoder waits for writable
  mutable bool budget_blocked_ = false;  // by the budget, the body holding more than its floor
  size_t charged_ = 0;                   // of the body, to the connection's budget
  OutgoingBody body_;                    // the response body, not yet framed
  bool body_paused_ = false;
  size_t unacknowledged_ = 0;  // request body bytes taken while paused
};

struct Http2ServerCodec::SessionCallbacks {
  static Stream* StreamOf(nghttp2_session* session, int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }
  static Http2ServerCodec& Codec(void* user_data) {
    return *static_cast<Http2ServerCodec*>(user_data);
  }

  static int OnBeginFrame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
    Http2ServerCodec& codec = Codec(user_data);
    if (hd->type == NGHTTP2_HEADERS) {
      codec.block_frames_ = 1;
      codec.block_decoded_bytes_ = 0;
    } else if (hd->type == NGHTTP2_CONTINUATION && ++codec.block_frames_ > kMaxHeaderBlockFrames) {
      codec.Terminate(NGHTTP2_ENHANCE_YOUR_CALM, CloseReason::kRejectedRequest,
                      "a header block of too many CONTINUATION frames");
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    Http2ServerCodec& codec = Codec(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    int32_t id = frame->hd.stream_id;
    auto stream = std::make_unique<Stream>(codec, id);
    nghttp2_session_set_stream_user_data(session, id, stream.get());
    codec.streams_[id] = std::move(stream);
    ++codec.heads_pending_;
    ++codec.streams_opened_;
    return 0;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
    Http2ServerCodec& codec = Codec(user_data);
    codec.block_decoded_bytes_ += name_length + value_length + 32;
    if (codec.block_decoded_bytes_ > kMaxDecodedHeaderBytes) {
      codec.Terminate(NGHTTP2_ENHANCE_YOUR_CALM, CloseReason::kRejectedRequest,
                      "a header block decoding far past the limit");
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    Stream* stream = StreamOf(session, frame->hd.stream_id);
    if (stream == nullptr) return 0;
    absl::string_view n = View(name, name_length);
    absl::string_view v = View(value, value_length);
    stream->head_bytes_ += name_length + value_length + 32;
    size_t count = stream->head_done_ ? stream->trailers_in_.size() : stream->head_.headers.size();
    if (stream->head_bytes_ > kMaxHeaderListBytes || count >= kMaxHeaders) {
      stream->head_too_large_ = true;
    }
    if (stream->head_too_large_) return 0;
    if (stream->head_done_) {
      if (!n.empty() && n.front() != ':') stream->trailers_in_.Add(n, v);
      return 0;
    }
    if (n == ":method") {
      stream->method_ = std::string(v);
    } else if (n == ":authority") {
      stream->authority_ = std::string(v);
    } else if (n == ":path") {
      stream->path_ = std::string(v);
    } else if (n == "cookie") {
      if (!stream->cookie_.empty()) stream->cookie_ += "; ";
      stream->cookie_.append(v.data(), v.size());
    } else if (!n.empty() && n.front() != ':') {
      stream->head_.headers.Add(n, v);
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    Http2ServerCodec& codec = Codec(user_data);
    Stream* stream = frame->hd.stream_id != 0 ? StreamOf(session, frame->hd.stream_id) : nullptr;
    bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        if (stream == nullptr) break;
        if (!stream->head_done_) {
          stream->head_done_ = true;
          --codec.heads_pending_;
          stream->request_ended_ = end_stream;
          codec.DeliverHead(*stream, end_stream);
        } else if (end_stream) {
          // Trailers end the request.
          stream->request_ended_ = true;
          if (stream->decoder_ != nullptr) {
            RemoveDisallowedTrailers(stream->trailers_in_);
            stream->decoder_->DecodeTrailers(std::move(stream->trailers_in_));
          }
        }
        break;
      case NGHTTP2_DATA:
        if (stream == nullptr || !end_stream) break;
        stream->request_ended_ = true;
        if (stream->decoder_ != nullptr) stream->decoder_->DecodeData(absl::string_view(), true);
        break;
      case NGHTTP2_RST_STREAM:
        if (stream != nullptr && !stream->response_ended_ &&
            ++codec.premature_resets_ >= kMaxPrematureResets &&
            codec.premature_resets_ * 2 >= codec.streams_opened_) {
          codec.Terminate(NGHTTP2_ENHANCE_YOUR_CALM, CloseReason::kRejectedRequest,
                          "the client reset most of its streams before their responses");
          return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        break;
      case NGHTTP2_GOAWAY:
        codec.close_reason_ = CloseReason::kPeerClosed;
        codec.close_detail_ = "the client sent GOAWAY";
        break;
      default:
        break;
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t length, void* user_data) {
    Stream* stream = StreamOf(session, stream_id);
    if (stream == nullptr || stream->decoder_ == nullptr) {
      // Nobody takes it (the response is complete, or was refused): acknowledged and dropped.
      nghttp2_session_consume(session, stream_id, length);
      return 0;
    }
    stream->decoder_->DecodeData(View(data, length), false);
    // The decoder may have finished the stream; it is still alive (freed after this turn).
    stream->OnBodyBytes(length);
    return 0;
  }

  static int OnFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    Stream* stream = StreamOf(session, frame->hd.stream_id);
    if (stream != nullptr && !stream->request_ended_) {
      // Answered before the request ended: the rest of it is not wanted (RFC 9113 8.1).
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t, void* user_data) {
    Http2ServerCodec& codec = Codec(user_data);
    auto it = codec.streams_.find(stream_id);
    if (it == codec.streams_.end()) return 0;
    std::unique_ptr<Stream> stream = std::move(it->second);
    codec.streams_.erase(it);
    nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
    if (!stream->head_done_) --codec.heads_pending_;
    if (RequestDecoder* decoder = stream->decoder_) {
      stream->decoder_ = nullptr;
      decoder->OnDownstreamReset("the client reset the stream");
    }
    stream->StopSendDeadline();
    codec.closed_.push_back(std::move(stream));
    if (codec.streams_.empty()) codec.callbacks_->OnReadyForNextRequest();  // idle from now
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                          size_t length, uint32_t* flags, nghttp2_data_source*, void*) {
    Stream* stream = StreamOf(session, stream_id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    bool drained = false;
    ssize_t n = stream->body_.Read(session, stream_id, buffer, length, flags, &drained);
    stream->ChargeBody();
    if (stream->budget_blocked_ && stream->body_.pending() <= event::BufferBudget::kFloor) {
      stream->budget_blocked_ = false;
      drained = true;
    }
    if ((*flags & NGHTTP2_DATA_FLAG_EOF) != 0) {
      stream->StopSendDeadline();
    } else {
      stream->UpdateSendDeadline(/*progress=*/n > 0);
    }
    if (drained && stream->blocked_) {
      stream->blocked_ = false;
      stream->codec_.writable_.push_back(stream_id);
    }
    return n;
  }
};

Http2ServerCodec::Http2ServerCodec(Callbacks* callbacks) : callbacks_(callbacks) {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, &SessionCallbacks::OnBeginFrame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &SessionCallbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &SessionCallbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &SessionCallbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &SessionCallbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &SessionCallbacks::OnFrameSend);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &SessionCallbacks::OnStreamClose);
  nghttp2_option* options;
  nghttp2_option_new(&options);
  // Request bytes are acknowledged as the proxy takes them: that is the backpressure.
  nghttp2_option_set_no_auto_window_update(options, 1);
  nghttp2_option_set_max_settings(options, 32);
  nghttp2_session_server_new2(&session_, cbs, this, options);
  nghttp2_option_del(options);
  nghttp2_session_callbacks_del(cbs);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(kMaxHeaderListBytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                          sizeof(settings) / sizeof(settings[0]));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

Http2ServerCodec::~Http2ServerCodec() {
  if (event::BufferBudget* budget = callbacks_->buffer_budget()) budget->Forget(this);
  ResetAllStreams("connection destroyed");
  nghttp2_session_del(session_);
}

Http2ServerCodec::Stream* Http2ServerCodec::FindStream(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

size_t Http2ServerCodec::Dispatch(absl::string_view input) {
  closed_.clear();
  if (closed_connection_) return input.size();
  in_nghttp2_ = true;
  ssize_t read = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(input.data()),
                                          input.size());
  in_nghttp2_ = false;
  if (read < 0 && !terminating_) {
    // A connection error nghttp2 found (a bad preface, a frame breaking the protocol): it has
    // queued the GOAWAY that says so, if the connection got that far.
    close_reason_ = CloseReason::kRejectedRequest;
    close_detail_ = absl::StrCat("HTTP/2 protocol error: ", nghttp2_strerror(read));
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
  }
  Flush();
  return input.size();
}

void Http2ServerCodec::Flush() {
  if (in_nghttp2_) {
    flush_pending_ = true;
    return;
  }
  if (closed_connection_) return;
  do {
    flush_pending_ = false;
    in_nghttp2_ = true;
    SendQueuedFrames(
        session_, [this] { return callbacks_->WriteBlocked(); },
        [this](std::string out) { callbacks_->Write(std::move(out)); });
    in_nghttp2_ = false;
    // Decoders waiting for room are told now, with nghttp2 off the stack; what they encode
    // in turn asks for another pass.
    std::vector<int32_t> writable = std::move(writable_);
    writable_.clear();
    for (int32_t id : writable) {
      if (Stream* stream = FindStream(id); stream != nullptr && stream->decoder_ != nullptr) {
        stream->decoder_->OnDownstreamWritable();
      }
    }
  } while (flush_pending_ && !closed_connection_);
  if (closed_connection_) return;
  if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
    closed_connection_ = true;
    ResetAllStreams(close_detail_);
    callbacks_->CloseAfterWrites(close_reason_, close_detail_);
  }
}

void Http2ServerCodec::Terminate(uint32_t error_code, CloseReason reason,
                                 absl::string_view detail) {
  terminating_ = true;
  close_reason_ = reason;
  close_detail_ = std::string(detail);
  nghttp2_session_terminate_session(session_, error_code);
}

void Http2ServerCodec::ResetAllStreams(absl::string_view reason) {
  for (auto& [id, stream] : streams_) {
    if (RequestDecoder* decoder = stream->decoder_) {
      stream->decoder_ = nullptr;
      decoder->OnDownstreamReset(reason);
    }
  }
}

void Http2ServerCodec::OnWritable() {
  closed_.clear();
  Flush();
  // Streams blocked by the socket alone, with nothing of theirs left for nghttp2 to read.
  std::vector<RequestDecoder*> writable;
  for (auto& [id, stream] : streams_) {
    if (stream->blocked_ && !stream->WriteBlocked() && stream->decoder_ != nullptr) {
      stream->blocked_ = false;
      writable.push_back(stream->decoder_);
    }
  }
  for (RequestDecoder* decoder : writable) decoder->OnDownstreamWritable();
}

void Http2ServerCodec::WaitForBudget() {
  if (waiting_for_budget_) return;
  waiting_for_budget_ = true;
  callbacks_->buffer_budget()->Wait({&Http2ServerCodec::OnBudgetRoom, this});
}

void Http2ServerCodec::OnBudgetRoom(void* arg) {
  auto* codec = static_cast<Http2ServerCodec*>(arg);
  codec->waiting_for_budget_ = false;
  if (codec->closed_connection_) return;
  if (codec->window_withheld_ > 0) {
    nghttp2_session_consume_connection(codec->session_, codec->window_withheld_);
    codec->window_withheld_ = 0;
  }
  // Flushes the window update and wakes the streams the budget held.
  codec->OnWritable();
}

void Http2ServerCodec::OnRemoteClose(absl::string_view error) {
  closed_connection_ = true;
  ResetAllStreams(error.empty() ? "downstream closed the connection" : error);
}

void Http2ServerCodec::Reject(int, absl::string_view reason) {
  // The only connection-level answer HTTP/2 has: GOAWAY, then close.
  Terminate(NGHTTP2_NO_ERROR, CloseReason::kRequestHeaderTimeout, reason);
  Flush();
}

void Http2ServerCodec::Drain(CloseReason reason) {
  if (closed_connection_) return;
  close_reason_ = reason;
  close_detail_ = reason == CloseReason::kIdleTimeout ? "idle timeout" : "draining";
  // Streams the client opened after the last one processed were never seen: it may retry them.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  Flush();
}

void Http2ServerCodec::SendLocalResponse(Stream& stream, int status) {
  std::string body = absl::StrCat(status, " ", ReasonPhrase(status), "\n");
  ResponseHead head;
  head.status = status;
  head.headers.Add("server", "gatehouse");
  head.headers.Add("content-type", "text/plain");
  head.framing = BodyFraming::kContentLength;
  head.content_length = body.size();
  stream.EncodeHeaders(head, false);
  stream.EncodeData(body, true);
}

void Http2ServerCodec::DeliverHead(Stream& stream, bool end_stream) {
  if (stream.head_too_large_) {
    SendLocalResponse(stream, 431);
    return;
  }
  RequestHead& head = stream.head_;
  head.method = std::move(stream.method_);
  head.target = std::move(stream.path_);
  head.version_major = 2;
  head.version_minor = 0;
  if (head.method == "CONNECT") {
    SendLocalResponse(stream, 405);  // an ingress is no tunnel proxy
    return;
  }
  // nghttp2 checked the pseudo-headers are there and well formed; the authority is :authority,
  // else Host (RFC 9113 section 8.3.1). A Host naming another authority makes the request
  // malformed (same section): routed by one and read upstream by the other, it would pass a
  // check made on the first.
  if (!stream.authority_.empty()) {
    const std::string* host = head.headers.Get("host");
    if (host != nullptr && !absl::EqualsIgnoreCase(*host, stream.authority_)) {
      SendLocalResponse(stream, 400);
      return;
    }
    head.headers.Set("host", stream.authority_);
  }
  const std::string* host = head.headers.Get("host");
  if (host == nullptr || !IsValidHost(*host)) {
    SendLocalResponse(stream, 400);  // as an HTTP/1.1 Host would be refused
    return;
  }
  head.authority = *host;
  if (!stream.cookie_.empty()) head.headers.Add("cookie", stream.cookie_);
  const std::string* content_length = head.headers.Get("content-length");
  uint64_t length = 0;
  if (end_stream) {
    head.framing = BodyFraming::kNone;
  } else if (content_length != nullptr && absl::SimpleAtoi(*content_length, &length)) {
    head.framing = length > 0 ? BodyFraming::kContentLength : BodyFraming::kNone;
    head.content_length = length;
  } else {
    head.framing = BodyFraming::kChunked;  // a body of unknown length, streamed
  }
  RemoveFramingAndHopByHopHeaders(head.headers);
  // As over HTTP/1.1, the proxy answers 100-continue itself: the upstream sees a plain request.
  bool expect_continue = false;
  if (const std::string* expect = head.headers.Get("expect");
      expect != nullptr && absl::EqualsIgnoreCase(*expect, "100-continue")) {
    head.headers.Remove("expect");
    expect_continue = !end_stream;
  }
  stream.decoder_ = &callbacks_->NewStream(stream);
  stream.decoder_->DecodeHeaders(std::move(head), end_stream);
  if (expect_continue && !stream.response_started_ && stream.decoder_ != nullptr) {
    NvList nva({{":status", "100"}}, HeaderMap(), std::nullopt);
    nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, stream.id_, nullptr, nva.data(), nva.size(),
                           nullptr);
  }
}

void Http2ServerCodec::Stream::EncodeHeaders(const ResponseHead& head, bool end_stream) {
  response_started_ = true;
  std::optional<uint64_t> length;
  if (head.framing == BodyFraming::kContentLength) length = head.content_length;
  if (head.framing == BodyFraming::kNone && head.status != 204 && head.status != 304 &&
      head.status >= 200) {
    length = 0;
  }
  NvList nva({{":status", absl::StrCat(head.status)}}, head.headers, length);
  if (end_stream) {
    response_ended_ = true;
    decoder_ = nullptr;
    nghttp2_submit_response(codec_.session_, id_, nva.data(), nva.size(), nullptr);
  } else {
    nghttp2_data_provider provider = body_.Provider(&SessionCallbacks::ReadBody);
    nghttp2_submit_response(codec_.session_, id_, nva.data(), nva.size(), &provider);
  }
  codec_.Flush();
}

void Http2ServerCodec::Stream::EncodeData(absl::string_view data, bool end_stream) {
  if (end_stream) {
    response_ended_ = true;
    decoder_ = nullptr;
  }
  body_.Append(codec_.session_, id_, data, end_stream);
  ChargeBody();
  UpdateSendDeadline(/*progress=*/false);
  codec_.Flush();
}

void Http2ServerCodec::Stream::ChargeBody() {
  event::BufferBudget* budget = codec_.callbacks_->buffer_budget();
  if (budget == nullptr) return;
  size_t held = body_.pending();
  budget->Recharge(charged_, held);
  charged_ = held;
}

void Http2ServerCodec::Stream::EncodeTrailers(const HeaderMap& trailers) {
  response_ended_ = true;
  decoder_ = nullptr;
  body_.EndWithTrailers(codec_.session_, id_, trailers);
  UpdateSendDeadline(/*progress=*/false);
  codec_.Flush();
}

void Http2ServerCodec::Stream::UpdateSendDeadline(bool progress) {
  event::DeadlineQueue* queue = codec_.callbacks_->stream_send_timeouts();
  if (queue == nullptr) return;
  if (body_.pending() == 0) {
    StopSendDeadline();
  } else if (progress || !armed()) {
    queue->Arm(*this);
  }
}

void Http2ServerCodec::Stream::OnDeadline() {
  Reset(NGHTTP2_CANCEL, "the client took no bytes for the send timeout");
}

void Http2ServerCodec::Stream::Reset(uint32_t error_code, absl::string_view tell_decoder) {
  body_.Discard();
  ChargeBody();
  StopSendDeadline();
  RequestDecoder* decoder = std::exchange(decoder_, nullptr);
  response_ended_ = true;
  nghttp2_submit_rst_stream(codec_.session_, NGHTTP2_FLAG_NONE, id_, error_code);
  if (decoder != nullptr && !tell_decoder.empty()) decoder->OnDownstreamReset(tell_decoder);
  codec_.Flush();
}

void Http2ServerCodec::Stream::OnBodyBytes(size_t length) {
  // The connection's window opens at once (the stream windows bound what is buffered), so a
  // paused stream holds back only itself, and nothing is owed when it ends while paused;
  // unless the connection's budget is exhausted: then the client sends no more on any stream
  // until there is room.
  event::BufferBudget* budget = codec_.callbacks_->buffer_budget();
  if (budget != nullptr && budget->exhausted()) {
    codec_.window_withheld_ += length;
    codec_.WaitForBudget();
  } else {
    nghttp2_session_consume_connection(codec_.session_, length);
  }
  if (body_paused_) {
    unacknowledged_ += length;
  } else {
    nghttp2_session_consume_stream(codec_.session_, id_, length);
  }
}

void Http2ServerCodec::Stream::PauseRequestBody(bool paused) {
  body_paused_ = paused;
  if (!paused && unacknowledged_ > 0) {
    nghttp2_session_consume_stream(codec_.session_, id_, unacknowledged_);
    unacknowledged_ = 0;
    codec_.Flush();
  }
}

void Http2ServerCodec::Stream::ResetStream(absl::string_view) {
  Reset(NGHTTP2_INTERNAL_ERROR, /*tell_decoder=*/{});  // the decoder asked: it knows
}

}  // namespace gatehouse::dataplane::http
