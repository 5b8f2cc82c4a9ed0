#include "dataplane/http/http2_client_codec.h"

#include <nghttp2/nghttp2.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dataplane/http/http2_common.h"

namespace gatehouse::dataplane::http {
class Http2ClientCodec::Stream : public RequestEncoder {
 public:
  Stream(Http2ClientCodec& codec, ResponseDecoder* decoder) : codec_(codec), decoder_(decoder) {}

  // RequestEncoder
  void EncodeHeaders(const RequestHead& head, bool end_stream) override;
  void EncodeData(absl::string_view data, bool end_stream) override;
  void EncodeTrailers(const HeaderMap& trailers) override;
  // Whoever sees true waits for OnUpstreamWritable, which blocked_ makes sure comes.
  bool WriteBlocked() const override {
    bool blocked = body_.over_watermark() || codec_.callbacks_->WriteBlocked();
    if (blocked) blocked_ = true;
    return blocked;
  }
  void PauseResponseBody(bool paused) override;

  // The exchange broke: the decoder hears it once, and no more.
  void Reset(absl::string_view reason) {
    if (ResponseDecoder* decoder = decoder_) {
      decoder_ = nullptr;
      decoder->OnUpstreamReset(reason);
    }
  }

  Http2ClientCodec& codec_;
  ResponseDecoder* decoder_;  // null once released or ended
  int32_t id_ = -1;           // -1 until the head is submitted
  OutgoingBody body_;         // the request body, not yet framed
  ResponseHead head_;
  bool head_done_ = false;  // the final response head was delivered
  HeaderMap trailers_;
  bool response_ended_ = false;
  bool paused_ = false;
  size_t unacknowledged_ = 0;     // response bytes taken while paused
  mutable bool blocked_ = false;  // WriteBlocked was seen; the decoder waits for writable
};

struct Http2ClientCodec::SessionCallbacks {
  static Http2ClientCodec& Codec(void* user_data) {
    return *static_cast<Http2ClientCodec*>(user_data);
  }
  static Stream* StreamOf(nghttp2_session* session, int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    Stream* stream = StreamOf(session, frame->hd.stream_id);
    if (stream != nullptr && !stream->head_done_) stream->head_ = ResponseHead();
    return 0;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void*) {
    Stream* stream = StreamOf(session, frame->hd.stream_id);
    if (stream == nullptr) return 0;
    absl::string_view n = View(name, name_length);
    absl::string_view v = View(value, value_length);
    if (stream->head_done_) {
      if (!n.empty() && n.front() != ':') stream->trailers_.Add(n, v);
      return 0;
    }
    if (n == ":status") {
      int status = 0;
      if (absl::SimpleAtoi(v, &status)) stream->head_.status = status;
    } else if (n == "content-length") {
      uint64_t length = 0;
      if (absl::SimpleAtoi(v, &length)) {
        stream->head_.framing = BodyFraming::kContentLength;
        stream->head_.content_length = length;
      }
    } else if (!n.empty() && n.front() != ':') {
      stream->head_.headers.Add(n, v);
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    Http2ClientCodec& codec = Codec(user_data);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      codec.goaway_ = true;
      return 0;
    }
    Stream* stream = frame->hd.stream_id != 0 ? StreamOf(session, frame->hd.stream_id) : nullptr;
    if (stream == nullptr) return 0;
    bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS) {
      if (!stream->head_done_) {
        if (stream->head_.status >= 100 && stream->head_.status < 200) return 0;  // interim
        stream->head_done_ = true;
        if (stream->head_.framing != BodyFraming::kContentLength && !end_stream) {
          stream->head_.framing = BodyFraming::kChunked;  // a body of unknown length
        }
        stream->response_ended_ = end_stream;
        if (stream->decoder_ != nullptr) {
          ResponseDecoder* decoder = stream->decoder_;
          if (end_stream) stream->decoder_ = nullptr;
          decoder->DecodeResponseHeaders(std::move(stream->head_), end_stream);
        }
      } else if (end_stream) {
        stream->response_ended_ = true;
        if (ResponseDecoder* decoder = stream->decoder_) {
          stream->decoder_ = nullptr;
          RemoveDisallowedTrailers(stream->trailers_);
          decoder->DecodeResponseTrailers(std::move(stream->trailers_));
        }
      }
    } else if (frame->hd.type == NGHTTP2_DATA && end_stream) {
      stream->response_ended_ = true;
      if (ResponseDecoder* decoder = stream->decoder_) {
        stream->decoder_ = nullptr;
        decoder->DecodeResponseData(absl::string_view(), true);
      }
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t length, void*) {
    Stream* stream = StreamOf(session, stream_id);
    if (stream == nullptr || stream->decoder_ == nullptr) {
      nghttp2_session_consume(session, stream_id, length);
      return 0;
    }
    // The connection's window opens at once, shared as it is by many exchanges; a paused
    // stream holds back only itself.
    nghttp2_session_consume_connection(session, length);
    stream->decoder_->DecodeResponseData(View(data, length), false);
    if (stream->paused_) {
      stream->unacknowledged_ += length;
    } else if (stream->id_ > 0) {
      nghttp2_session_consume_stream(session, stream_id, length);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                           void*) {
    Stream* stream = StreamOf(session, stream_id);
    if (stream == nullptr) return 0;
    nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
    stream->id_ = -1;
    if (!stream->response_ended_) {
      stream->Reset(error_code == NGHTTP2_REFUSED_STREAM
                        ? "the upstream refused the stream"
                        : absl::StrCat("the upstream reset the stream (",
                                       nghttp2_http2_strerror(error_code), ")"));
    }
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                          size_t length, uint32_t* flags, nghttp2_data_source*, void* user_data) {
    Stream* stream = StreamOf(session, stream_id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    bool drained = false;
    ssize_t n = stream->body_.Read(session, stream_id, buffer, length, flags, &drained);
    if (drained && stream->blocked_) {
      stream->blocked_ = false;
      Codec(user_data).writable_.push_back(stream);
    }
    return n;
  }
};

Http2ClientCodec::Http2ClientCodec(Callbacks* callbacks, bool tls)
    : callbacks_(callbacks), tls_(tls) {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &SessionCallbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &SessionCallbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &SessionCallbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &SessionCallbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &SessionCallbacks::OnStreamClose);
  nghttp2_option* options;
  nghttp2_option_new(&options);
  nghttp2_option_set_no_auto_window_update(options, 1);
  nghttp2_session_client_new2(&session_, cbs, this, options);
  nghttp2_option_del(options);
  nghttp2_session_callbacks_del(cbs);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                          sizeof(settings) / sizeof(settings[0]));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

Http2ClientCodec::~Http2ClientCodec() {
  ResetAll("connection destroyed");
  nghttp2_session_del(session_);
}

RequestEncoder* Http2ClientCodec::NewStream(ResponseDecoder* decoder) {
  auto stream = std::make_unique<Stream>(*this, decoder);
  Stream* raw = stream.get();
  streams_.emplace(raw, std::move(stream));
  return raw;
}

void Http2ClientCodec::SetDecoder(RequestEncoder* encoder, ResponseDecoder* decoder) {
  auto it = streams_.find(static_cast<Stream*>(encoder));
  if (it != streams_.end() && !it->second->response_ended_) it->second->decoder_ = decoder;
}

void Http2ClientCodec::ReleaseStream(RequestEncoder* encoder) {
  auto it = streams_.find(static_cast<Stream*>(encoder));
  if (it == streams_.end()) return;
  std::unique_ptr<Stream> stream = std::move(it->second);
  streams_.erase(it);
  stream->decoder_ = nullptr;
  if (stream->id_ > 0) {
    nghttp2_session_set_stream_user_data(session_, stream->id_, nullptr);
    if (!stream->response_ended_ || !stream->body_.ended()) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream->id_, NGHTTP2_CANCEL);
    }
  }
  released_.push_back(std::move(stream));
  Flush();
}

size_t Http2ClientCodec::Dispatch(absl::string_view input) {
  released_.clear();
  if (closed_) return input.size();
  in_nghttp2_ = true;
  ssize_t read = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(input.data()),
                                          input.size());
  in_nghttp2_ = false;
  if (read < 0) {
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
    Flush();
    closed_ = true;
    ResetAll(absl::StrCat("the upstream broke HTTP/2: ", nghttp2_strerror(read)));
    return input.size();
  }
  Flush();
  return input.size();
}

void Http2ClientCodec::Flush() {
  if (in_nghttp2_) {
    flush_pending_ = true;
    return;
  }
  if (closed_) return;
  do {
    flush_pending_ = false;
    in_nghttp2_ = true;
    SendQueuedFrames(
        session_, [this] { return callbacks_->WriteBlocked(); },
        [this](std::string out) { callbacks_->Write(std::move(out)); });
    in_nghttp2_ = false;
    std::vector<Stream*> writable = std::move(writable_);
    writable_.clear();
    for (Stream* stream : writable) {
      if (streams_.contains(stream) && stream->decoder_ != nullptr) {
        stream->decoder_->OnUpstreamWritable();
      }
    }
  } while (flush_pending_ && !closed_);
}

void Http2ClientCodec::OnWritable() {
  released_.clear();
  Flush();
  std::vector<ResponseDecoder*> writable;
  for (auto& [raw, stream] : streams_) {
    if (stream->blocked_ && !stream->WriteBlocked() && stream->decoder_ != nullptr) {
      stream->blocked_ = false;
      writable.push_back(stream->decoder_);
    }
  }
  for (ResponseDecoder* decoder : writable) decoder->OnUpstreamWritable();
}

void Http2ClientCodec::OnRemoteClose(absl::string_view error) {
  closed_ = true;
  ResetAll(error.empty() ? "the upstream closed the connection" : error);
}

void Http2ClientCodec::ResetAll(absl::string_view reason) {
  std::vector<Stream*> open;
  for (auto& [raw, stream] : streams_) open.push_back(raw);
  for (Stream* stream : open) stream->Reset(reason);
}

bool Http2ClientCodec::accepting() const {
  // Stream ids run out after 2^30 requests: then the connection takes no more.
  return !closed_ && !goaway_ && nghttp2_session_want_read(session_) != 0 &&
         nghttp2_session_get_next_stream_id(session_) < (1u << 31) - 1024;
}

size_t Http2ClientCodec::max_streams() const {
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool Http2ClientCodec::finished() const {
  return closed_ ||
         (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0);
}

void Http2ClientCodec::Stream::EncodeHeaders(const RequestHead& head, bool end_stream) {
  std::vector<std::pair<std::string, std::string>> pseudo = {
      {":method", head.method},
      {":scheme", codec_.tls_ ? "https" : "http"},
      {":authority", head.authority},
      {":path", head.target}};
  std::optional<uint64_t> length;
  if (head.framing == BodyFraming::kContentLength) length = head.content_length;
  // gRPC requires "te: trailers", which HTTP/1.1 treats as hop-by-hop and the codecs drop.
  const std::string* type = head.headers.Get("content-type");
  if (type != nullptr && absl::StartsWith(*type, "application/grpc")) {
    pseudo.emplace_back("te", "trailers");
  }
  NvList nva(std::move(pseudo), head.headers, length);
  nghttp2_data_provider provider = body_.Provider(&SessionCallbacks::ReadBody);
  if (end_stream) body_.Append(codec_.session_, -1, absl::string_view(), true);
  id_ = nghttp2_submit_request(codec_.session_, nullptr, nva.data(), nva.size(),
                               end_stream ? nullptr : &provider, this);
  if (id_ < 0) {
    int32_t error = id_;
    id_ = -1;
    Reset(absl::StrCat("the request could not be sent: ", nghttp2_strerror(error)));
    return;
  }
  codec_.Flush();
}

void Http2ClientCodec::Stream::EncodeData(absl::string_view data, bool end_stream) {
  body_.Append(codec_.session_, id_, data, end_stream);
  codec_.Flush();
}

void Http2ClientCodec::Stream::EncodeTrailers(const HeaderMap& trailers) {
  body_.EndWithTrailers(codec_.session_, id_, trailers);
  codec_.Flush();
}

void Http2ClientCodec::Stream::PauseResponseBody(bool paused) {
  paused_ = paused;
  if (!paused && unacknowledged_ > 0 && id_ > 0) {
    nghttp2_session_consume_stream(codec_.session_, id_, unacknowledged_);
    unacknowledged_ = 0;
    codec_.Flush();
  }
}

}  // namespace gatehouse::dataplane::http
