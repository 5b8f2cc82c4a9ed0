// The protocol-neutral seam between codecs and the proxy.
//
// A server codec (HTTP/1.1 or HTTP/2) turns downstream bytes into RequestDecoder events
// and implements ResponseEncoder for the proxy's answer; a client codec turns the proxy's
// RequestEncoder calls into upstream bytes and upstream bytes into ResponseDecoder events. The
// router and proxy never learn which HTTP version they serve.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/http/headers.h"

namespace gatehouse::dataplane::http {

// Why a client connection ended, as the data plane counts it.
enum class CloseReason {
  kPeerClosed,            // the client closed or reset it
  kConnectionClose,       // a request or response asked for it (Connection: close, HTTP/1.0)
  kRejectedRequest,       // a request the proxy refused (400, 405, 414, 431, 505, ...)
  kRequestHeaderTimeout,  // a request's head did not arrive in time (408)
  kIdleTimeout,           // kept alive with no request for too long
  kUnreadRequestBody,     // answered before its request body ended
  kUpstreamReset,         // the response broke after it had started
  kSendTimeout,           // the client stopped taking the bytes sent to it
  kMaxConnections,        // accepted over the connection limit
  kDrain,                 // the data plane is draining before it exits
  kShutdown,              // the data plane stopped
};
inline constexpr int kCloseReasonCount = static_cast<int>(CloseReason::kShutdown) + 1;

// "peer_closed", "idle_timeout", ...: the label of the closed-connections counter.
absl::string_view CloseReasonName(CloseReason reason);

// Receives one downstream request; implemented by the proxy.
class RequestDecoder {
 public:
  virtual ~RequestDecoder() = default;
  virtual void DecodeHeaders(RequestHead head, bool end_stream) = 0;
  virtual void DecodeData(absl::string_view data, bool end_stream) = 0;
  // The request's trailer fields; they end the request.
  virtual void DecodeTrailers(HeaderMap trailers) = 0;
  // The downstream can take more response bytes again after WriteBlocked() was true.
  virtual void OnDownstreamWritable() = 0;
  // The downstream went away or broke the protocol; no more calls follow.
  virtual void OnDownstreamReset(absl::string_view reason) = 0;
};

// Sends the response to one downstream request; implemented by server codecs.
class ResponseEncoder {
 public:
  virtual ~ResponseEncoder() = default;
  virtual void EncodeHeaders(const ResponseHead& head, bool end_stream) = 0;
  virtual void EncodeData(absl::string_view data, bool end_stream) = 0;
  // Ends the response with trailer fields (dropped where the framing cannot carry them).
  virtual void EncodeTrailers(const HeaderMap& trailers) = 0;
  // True while the downstream's write queue is over its high watermark.
  virtual bool WriteBlocked() const = 0;
  // Stops (true) or resumes (false) reading the request body, for backpressure.
  virtual void PauseRequestBody(bool paused) = 0;
  // The client's address as text.
  virtual std::string peer_ip() const = 0;
  // The response broke after it started: the client must see it incomplete (HTTP/1.1 closes
  // the connection, HTTP/2 resets the stream). No more calls follow.
  virtual void ResetStream(absl::string_view detail) = 0;
};

// Receives one upstream response; implemented by the proxy.
class ResponseDecoder {
 public:
  virtual ~ResponseDecoder() = default;
  virtual void DecodeResponseHeaders(ResponseHead head, bool end_stream) = 0;
  virtual void DecodeResponseData(absl::string_view data, bool end_stream) = 0;
  // The response's trailer fields; they end the response.
  virtual void DecodeResponseTrailers(HeaderMap trailers) = 0;
  // The upstream can take more request bytes again after WriteBlocked() was true.
  virtual void OnUpstreamWritable() = 0;
  // The upstream connection failed or broke the protocol before the response ended.
  virtual void OnUpstreamReset(absl::string_view reason) = 0;
};

// Sends one request upstream; implemented by client codecs.
class RequestEncoder {
 public:
  virtual ~RequestEncoder() = default;
  virtual void EncodeHeaders(const RequestHead& head, bool end_stream) = 0;
  virtual void EncodeData(absl::string_view data, bool end_stream) = 0;
  // Ends the request with trailer fields (dropped where the framing cannot carry them).
  virtual void EncodeTrailers(const HeaderMap& trailers) = 0;
  virtual bool WriteBlocked() const = 0;
  // Stops (true) or resumes (false) reading the response body, for backpressure.
  virtual void PauseResponseBody(bool paused) = 0;
};

}  // namespace gatehouse::dataplane::http
