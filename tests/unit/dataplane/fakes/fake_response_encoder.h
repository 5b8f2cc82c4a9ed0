// A server codec's side of one request, as the proxy sees it: records the response written to
// it and lets the test say when the client stops taking bytes.
#pragma once

#include <optional>
#include <string>

#include "dataplane/http/stream.h"

namespace gatehouse::dataplane::fakes {

class FakeResponseEncoder : public http::ResponseEncoder {
 public:
  void EncodeHeaders(const http::ResponseHead& head, bool end_stream) override {
    this->head = head;
    ended = end_stream;
  }
  void EncodeData(absl::string_view data, bool end_stream) override {
    body.append(data.data(), data.size());
    ended = end_stream;
  }
  void EncodeTrailers(const http::HeaderMap& trailers) override {
    this->trailers = trailers;
    ended = true;
  }
  bool WriteBlocked() const override { return write_blocked; }
  void PauseRequestBody(bool paused) override { request_body_paused = paused; }
  std::string peer_ip() const override { return "192.0.2.7"; }
  void ResetStream(absl::string_view detail) override { reset = std::string(detail); }

  std::optional<http::ResponseHead> head;
  std::string body;
  std::optional<http::HeaderMap> trailers;
  bool ended = false;
  std::optional<std::string> reset;
  bool write_blocked = false;
  bool request_body_paused = false;
};

}  // namespace gatehouse::dataplane::fakes
