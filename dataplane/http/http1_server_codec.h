// The HTTP/1.1 server side of a downstream connection.
//
// Parses requests one at a time (pipelined requests wait in the input until the response to the
// one before is complete), hands each to a RequestDecoder from Callbacks::NewStream, and encodes
// the proxy's response with the framing and connection handling HTTP/1.x needs. Requests that
// break the protocol get a 4xx and the connection is closed; they never reach a decoder.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/http/http1_parser.h"
#include "dataplane/http/server_codec.h"
#include "dataplane/http/stream.h"

namespace gatehouse::dataplane::http {

class Http1ServerCodec : public ServerCodec,
                         public ResponseEncoder,
                         private Http1Parser::Listener {
 public:
  explicit Http1ServerCodec(Callbacks* callbacks);

  // ServerCodec. Dispatch leaves a pipelined request's bytes unconsumed until the response to
  // the one before is complete.
  size_t Dispatch(absl::string_view input) override;
  void OnWritable() override;
  void OnRemoteClose(absl::string_view error) override;
  // True between requests: nothing parsed and no response pending.
  bool idle() const override { return !in_request_ && !reading_head_; }
  // True from a request's first byte until its head is complete.
  bool reading_head() const override { return reading_head_; }
  bool tunneling() const override { return tunnel_; }
  void Reject(int status, absl::string_view reason) override { SendError(status, reason); }
  // From now on every response says Connection: close and ends the connection; one already
  // started goes on as it began.
  void Drain(CloseReason) override { draining_ = true; }

  // ResponseEncoder
  void EncodeHeaders(const ResponseHead& head, bool end_stream) override;
  void EncodeData(absl::string_view data, bool end_stream) override;
  void EncodeTrailers(const HeaderMap& trailers) override;
  bool WriteBlocked() const override { return callbacks_->WriteBlocked(); }
  void PauseRequestBody(bool paused) override { callbacks_->PauseReading(paused); }
  std::string peer_ip() const override { return callbacks_->peer_ip(); }
  void ResetStream(absl::string_view detail) override;

 private:
  // Http1Parser::Listener
  void OnMessageBegin() override { reading_head_ = true; }
  bool OnHead() override;
  void OnBody(absl::string_view data) override;
  void OnMessageComplete() override;

  struct RequestError {
    int status = 0;  // 0: no error
    std::string detail;
  };
  // What RFC 9112 requires of a request head that llhttp lets through: the version, the form of
  // the target, one valid Host, and chunked as the only transfer coding.
  static RequestError CheckRequest(const RequestHead& head, bool chunked);
  // Hands the head parsed last to a new stream, once llhttp has accepted its framing.
  void DeliverHead();
  void OnResponseComplete();
  // Turns an absolute-form target into origin-form, its authority becoming the Host header;
  // false when the target was not absolute-form.
  static bool SplitAbsoluteForm(RequestHead& head);
  void SendError(int status, absl::string_view detail);

  Callbacks* callbacks_;
  Http1Parser parser_;
  RequestDecoder* decoder_ = nullptr;  // null when no stream is listening
  bool in_request_ = false;            // a request's head is parsed, its response not complete
  bool reading_head_ = false;          // a request began and its head is not complete yet
  bool request_complete_ = false;
  bool request_end_sent_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool waiting_for_response_ = false;  // parser paused after a complete request
  bool keep_alive_ = true;
  bool close_after_response_ = false;
  bool head_request_ = false;
  bool body_allowed_ = true;
  bool chunked_response_ = false;
  int request_version_minor_ = 1;
  bool dead_ = false;
  bool draining_ = false;
  bool tunnel_ = false;  // switched protocols: bytes pass through both ways
  std::optional<RequestHead> pending_head_;  // parsed, not yet handed on
  bool expect_continue_ = false;             // the pending request asked for 100 Continue
};

}  // namespace gatehouse::dataplane::http
