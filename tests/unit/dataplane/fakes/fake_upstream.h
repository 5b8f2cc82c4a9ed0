// An UpstreamConnector whose exchanges are driven by the test: it records what the proxy sends
// upstream, and the test plays the connection (ready, failed) and the upstream's response.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/upstream/upstream_connector.h"

namespace gatehouse::dataplane::fakes {

class FakeUpstreamConnector;

class FakeUpstreamStream : public upstream::UpstreamStream, public http::RequestEncoder {
 public:
  FakeUpstreamStream(FakeUpstreamConnector& connector, std::string endpoint)
      : connector_(connector), endpoint_(std::move(endpoint)) {}
  ~FakeUpstreamStream() override;

  // upstream::UpstreamStream
  void SetListener(Listener* listener) override { listener_ = listener; }
  http::RequestEncoder& encoder() override { return *this; }
  void SetDecoder(http::ResponseDecoder* decoder) override { decoder_ = decoder; }
  bool multiplexed() const override { return false; }
  const std::string& endpoint_key() const override { return endpoint_; }

  // http::RequestEncoder
  void EncodeHeaders(const http::RequestHead& head, bool end_stream) override {
    this->head = head;
    request_ended = end_stream;
    if (end_stream) OnRequestEnd();
  }
  void EncodeData(absl::string_view data, bool end_stream) override {
    body.append(data.data(), data.size());
    request_ended = end_stream;
    if (end_stream) OnRequestEnd();
  }
  void EncodeTrailers(const http::HeaderMap& trailers) override {
    this->trailers = trailers;
    request_ended = true;
    OnRequestEnd();
  }
  bool WriteBlocked() const override { return write_blocked; }
  void PauseResponseBody(bool paused) override { response_body_paused = paused; }

  // The test plays the upstream.
  void Connected(const absl::Status& status = absl::OkStatus()) {
    listener_->OnConnect(*this, status);
  }
  http::ResponseDecoder* decoder() const { return decoder_; }
  void Respond(int status, absl::string_view body_text, bool end = true) {
    http::ResponseHead head;
    head.status = status;
    head.framing = http::BodyFraming::kContentLength;
    head.content_length = body_text.size();
    decoder_->DecodeResponseHeaders(std::move(head), body_text.empty() && end);
    if (!body_text.empty()) decoder_->DecodeResponseData(body_text, end);
  }

  std::optional<http::RequestHead> head;
  std::string body;
  std::optional<http::HeaderMap> trailers;
  bool request_ended = false;
  bool write_blocked = false;
  bool response_body_paused = false;

 private:
  // Runs the connector's answer_at_request_end, if any.
  void OnRequestEnd();

  FakeUpstreamConnector& connector_;
  std::string endpoint_;
  Listener* listener_ = nullptr;
  http::ResponseDecoder* decoder_ = nullptr;
};

class FakeUpstreamConnector : public upstream::UpstreamConnector {
 public:
  absl::StatusOr<std::unique_ptr<upstream::UpstreamStream>> Acquire(
      const config::ClusterConfig& cluster, const config::EndpointAddress& endpoint,
      bool* reused) override {
    acquired.push_back(endpoint.Key());
    if (!acquire_error.ok()) return acquire_error;
    *reused = reuse;
    auto stream = std::make_unique<FakeUpstreamStream>(*this, endpoint.Key());
    live.push_back(stream.get());
    return stream;
  }
  void Release(std::unique_ptr<upstream::UpstreamStream> stream) override {
    ++released;
    stream.reset();
  }

  // The newest exchange still alive, or nullptr.
  FakeUpstreamStream* last() const { return live.empty() ? nullptr : live.back(); }
  void Forget(FakeUpstreamStream* stream) {
    for (auto it = live.begin(); it != live.end(); ++it) {
      if (*it == stream) {
        live.erase(it);
        ++destroyed;
        return;
      }
    }
  }

  bool reuse = false;  // exchanges are ready at once, as on a pooled connection
  // When set, called with each exchange as soon as its request has ended, from inside the
  // proxy's call that ended it: an upstream answering at once.
  std::function<void(FakeUpstreamStream&)> answer_at_request_end;
  absl::Status acquire_error;
  std::vector<std::string> acquired;  // endpoint keys, in order
  std::vector<FakeUpstreamStream*> live;
  int released = 0;   // handed back after a complete exchange
  int destroyed = 0;  // released or dropped, and gone
};

inline FakeUpstreamStream::~FakeUpstreamStream() { connector_.Forget(this); }

inline void FakeUpstreamStream::OnRequestEnd() {
  if (connector_.answer_at_request_end) connector_.answer_at_request_end(*this);
}

}  // namespace gatehouse::dataplane::fakes
