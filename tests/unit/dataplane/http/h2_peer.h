// The other end of an HTTP/2 connection, for codec tests: a real nghttp2 session (client or
// server) the test drives, so the codec under test meets nghttp2's own framing, HPACK and flow
// control rather than hand-made bytes.
#pragma once

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::http {

class H2Peer {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // What the peer saw of one stream.
  struct StreamState {
    Fields headers;   // the first header block: a request's or a response's head
    Fields trailers;  // a later header block
    std::string data;
    bool ended = false;       // END_STREAM received
    int32_t reset_code = -1;  // RST_STREAM's error code, -1: none
    std::string Field(absl::string_view name) const {
      for (const auto& [key, value] : headers) {
        if (key == name) return value;
      }
      return "(none)";
    }
  };

  enum class Role { kClient, kServer };

  // `settings` go out first (the client's preface is sent by nghttp2 itself). Without
  // `open_windows` the peer never opens its receive windows again once data used them up (it
  // reads slowly); Consume() opens them.
  explicit H2Peer(Role role, std::vector<nghttp2_settings_entry> settings = {},
                  bool open_windows = true) {
    nghttp2_session_callbacks* callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, OnBeginHeaders);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrame);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnClose);
    nghttp2_option* option;
    nghttp2_option_new(&option);
    nghttp2_option_set_no_auto_window_update(option, open_windows ? 0 : 1);
    if (role == Role::kClient) {
      nghttp2_session_client_new2(&session_, callbacks, this, option);
    } else {
      nghttp2_session_server_new2(&session_, callbacks, this, option);
    }
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  }
  ~H2Peer() { nghttp2_session_del(session_); }
  H2Peer(const H2Peer&) = delete;
  H2Peer& operator=(const H2Peer&) = delete;

  // What the peer has to send now.
  std::string TakeOutput() {
    std::string out;
    while (true) {
      const uint8_t* data;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      EXPECT_GE(n, 0) << nghttp2_strerror(static_cast<int>(n));
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    return out;
  }

  // Takes bytes from the codec; false when nghttp2 found them broken.
  bool Receive(absl::string_view bytes) {
    ssize_t n = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                         bytes.size());
    return n == static_cast<ssize_t>(bytes.size());
  }

  // Starts a request (client) with `body` (none when empty and `end`), returns its stream id.
  int32_t SubmitRequest(const Fields& headers, std::string body = "", bool end = true) {
    std::vector<nghttp2_nv> nva = Nv(headers);
    int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                        Provider(0, std::move(body), end), nullptr);
    EXPECT_GT(id, 0) << nghttp2_strerror(id);
    if (id > 0 && pending_body_.count(0) != 0) {
      pending_body_[id] = std::move(pending_body_[0]);
      pending_body_.erase(0);
    }
    return id;
  }

  // Answers stream `id` (server).
  void SubmitResponse(int32_t id, const Fields& headers, std::string body = "") {
    std::vector<nghttp2_nv> nva = Nv(headers);
    nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                            Provider(id, std::move(body), true));
  }

  void SubmitReset(int32_t id, uint32_t code) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
  }

  // Opens the stream's receive window by `bytes` (without `open_windows`).
  void Consume(int32_t id, size_t bytes) { nghttp2_session_consume(session_, id, bytes); }

  std::map<int32_t, StreamState> streams;
  std::vector<int32_t> heads_received;  // stream ids whose first header block arrived, in order
  bool goaway = false;
  uint32_t goaway_error = 0;
  nghttp2_session* session() { return session_; }

 private:
  struct Body {
    std::string data;
    size_t offset = 0;
    bool end = true;
  };

  static std::vector<nghttp2_nv> Nv(const Fields& headers) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : headers) {
      nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                     reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                     value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    return nva;
  }

  // A data provider over `body`, or none (headers end the stream) when it is empty and ends.
  const nghttp2_data_provider* Provider(int32_t id, std::string body, bool end) {
    if (body.empty() && end) return nullptr;
    pending_body_[id] = Body{std::move(body), 0, end};
    provider_.source.ptr = nullptr;
    provider_.read_callback = ReadBody;
    return &provider_;
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* self = static_cast<H2Peer*>(user);
    auto it = self->pending_body_.find(id);
    if (it == self->pending_body_.end()) return NGHTTP2_ERR_DEFERRED;
    Body& body = it->second;
    size_t n = std::min(length, body.data.size() - body.offset);
    std::memcpy(buf, body.data.data() + body.offset, n);
    body.offset += n;
    if (body.offset == body.data.size()) {
      if (!body.end) return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      self->pending_body_.erase(it);
    }
    return static_cast<ssize_t>(n);
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2Peer*>(user);
    StreamState& stream = self->streams[frame->hd.stream_id];
    self->in_trailers_ = !stream.headers.empty();
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<H2Peer*>(user);
    StreamState& stream = self->streams[frame->hd.stream_id];
    (self->in_trailers_ ? stream.trailers : stream.headers)
        .emplace_back(std::string(reinterpret_cast<const char*>(name), namelen),
                      std::string(reinterpret_cast<const char*>(value), valuelen));
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void* user) {
    static_cast<H2Peer*>(user)->streams[id].data.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2Peer*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway = true;
      self->goaway_error = frame->goaway.error_code;
    }
    if (frame->hd.type == NGHTTP2_HEADERS && !self->in_trailers_) {
      self->heads_received.push_back(frame->hd.stream_id);
    }
    if (frame->hd.type == NGHTTP2_RST_STREAM) {
      self->streams[frame->hd.stream_id].reset_code =
          static_cast<int32_t>(frame->rst_stream.error_code);
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      self->streams[frame->hd.stream_id].ended = true;
    }
    return 0;
  }

  static int OnClose(nghttp2_session*, int32_t id, uint32_t, void*) { return 0; }

  nghttp2_session* session_ = nullptr;
  nghttp2_data_provider provider_{};
  std::map<int32_t, Body> pending_body_;
  bool in_trailers_ = false;
};

}  // namespace gatehouse::dataplane::http
