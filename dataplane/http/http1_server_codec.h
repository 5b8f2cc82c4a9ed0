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

class Http1ServerCodec : public ServerCodec, public ResponseEncoder, private Http1Parser::Listener {
 public:
  explicit Http1ServerCodec(Callbacks* callbacks);

  // ServerCodec. Dispatch leaves a pipelined request's bytes unconsumed until the response to
  // the one before is complete.
  size_t Dispatch(absl::string_view input) override;
  void OnWritable() override;
  void OnRemoteClose(absl::string_view error) override;
  // True between requests: nothing parsed and no response pending.
  bool idle() const override { return phase_ == Phase::kIdle; }
  // True from a request's first byte until its head is complete.
  bool reading_head() const override { return phase_ == Phase::kReadingHead; }
  bool tunneling() const override { return phase_ == Phase::kTunnel; }
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
  // Where the connection's current exchange is. The response's progress (response_started_,
  // response_complete_) is apart: a response may start, or end, while its request still arrives.
  enum class Phase {
    kIdle,              // between requests: no byte of the next one yet
    kReadingHead,       // a request began; its head is not complete
    kReadingBody,       // its head went to a stream; its body is still arriving
    kRequestDone,       // the whole request arrived (parsing pauses after it)
    kAwaitingResponse,  // ...and the parser waits for the response to end (pipelining)
    kTunnel,            // switched protocols (101): bytes pass through both ways
    kClosed,            // finished: an error, a close after the response, or a reset
  };
  // Moves to `next`; leaving a phase that cannot lead there is a bug, and aborts. Closing is
  // allowed from anywhere, again included.
  void SetPhase(Phase next);
  bool closed() const { return phase_ == Phase::kClosed; }

  // Http1Parser::Listener
  void OnMessageBegin() override { SetPhase(Phase::kReadingHead); }
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
  Phase phase_ = Phase::kIdle;
  bool request_end_sent_ = false;  // the stream was told the request ended
  bool response_started_ = false;  // a response is being written (not yet complete)
  bool response_complete_ = false;
  bool keep_alive_ = true;
  bool close_after_response_ = false;
  bool head_request_ = false;
  bool body_allowed_ = true;
  bool chunked_response_ = false;
  int request_version_minor_ = 1;
  bool draining_ = false;
  std::optional<RequestHead> pending_head_;  // parsed, not yet handed on
  bool expect_continue_ = false;             // the pending request asked for 100 Continue
};

}  // namespace gatehouse::dataplane::http
