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
  bool OnHead() override;
  void OnBody(absl::string_view data) override;
  void OnMessageComplete() override;
  void Reset(absl::string_view reason);

  Callbacks* callbacks_;
  Http1Parser parser_;
  ResponseDecoder* decoder_ = nullptr;
  bool head_request_ = false;
  bool chunked_request_ = false;
  bool request_complete_ = false;
  bool response_in_progress_ = false;
  bool response_end_sent_ = false;
  bool informational_ = false;
  bool keep_alive_ = true;
  bool reusable_ = false;
  bool broken_ = false;
  bool upgrade_requested_ = false;  // the request asked to switch protocols
  bool tunnel_ = false;             // the upstream switched: bytes pass through both ways
};

}  // namespace gatehouse::dataplane::http
