// The HTTP/1.1 client side of an upstream connection.
//
// Encodes one request at a time and parses its response into the ResponseDecoder set for it.
// After a complete response on a connection both sides keep alive, the connection is reusable
// for the next request.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/http/http1_parser.h"
#include "dataplane/http/stream.h"

namespace gatehouse::dataplane::http {

class Http1ClientCodec : public RequestEncoder, private Http1Parser::Listener {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    virtual void Write(std::string data) = 0;
    // Writes a copy of `data` (a body passing through), appended to what is queued if it can.
    virtual void WriteCopy(absl::string_view data) { Write(std::string(data)); }
    virtual bool WriteBlocked() const = 0;
    virtual void PauseReading(bool paused) = 0;
  };

  explicit Http1ClientCodec(Callbacks* callbacks);

  // The decoder of the next (or current) exchange; nullptr detaches it.
  void SetDecoder(ResponseDecoder* decoder) { decoder_ = decoder; }
  // Parses upstream bytes; returns how many were consumed.
  size_t Dispatch(absl::string_view input);
  void OnWritable();
  void OnRemoteClose(absl::string_view error);
  // True when the last exchange ended cleanly and both sides keep the connection open.
  bool reusable() const { return reusable_; }

  // RequestEncoder
  void EncodeHeaders(const RequestHead& head, bool end_stream) override;
  void EncodeData(absl::string_view data, bool end_stream) override;
  void EncodeTrailers(const HeaderMap& trailers) override;
  bool WriteBlocked() const override { return callbacks_->WriteBlocked(); }
  void PauseResponseBody(bool paused) override { callbacks_->PauseReading(paused); }

 private:
  // Where the response side is. The request's progress (request_complete_) is apart: a
  // response may start, or end, while its request is still being sent.
  enum class Phase {
    kIdle,        // no response in progress: before a request, or after a complete exchange
    kInterim,     // a 1xx interim response is being parsed (it is not forwarded)
    kResponding,  // a response's head arrived; its body is still coming
    kTunnel,      // the upstream switched protocols (101): bytes pass through both ways
    kBroken,      // the exchange was reset: the connection is unusable
  };
  // Moves to `next`; leaving a phase that cannot lead there is a bug, and aborts. Breaking is
  // allowed from anywhere, again included.
  void SetPhase(Phase next);

  bool OnHead() override;
  void OnBody(absl::string_view data) override;
  void OnMessageComplete() override;
  void Reset(absl::string_view reason);

  Callbacks* callbacks_;
  Http1Parser parser_;
  ResponseDecoder* decoder_ = nullptr;
  Phase phase_ = Phase::kIdle;
  bool head_request_ = false;
  bool chunked_request_ = false;
  bool request_complete_ = false;
  bool response_end_sent_ = false;  // the decoder was told the response ended
  bool keep_alive_ = true;
  bool reusable_ = false;
  bool upgrade_requested_ = false;  // the request asked to switch protocols
};

}  // namespace gatehouse::dataplane::http
