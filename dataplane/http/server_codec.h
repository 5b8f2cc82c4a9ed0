// The server side of a downstream connection, whatever its HTTP version.
//
// A server codec parses what the client sends, hands each request to a RequestDecoder from
// Callbacks::NewStream, and encodes the proxy's answers (it is their ResponseEncoder). HTTP/1.1
// runs one request at a time; HTTP/2 many at once, each its own stream. The connection owning
// the codec picks it (ALPN, or the HTTP/2 preface), then moves bytes and keeps time; the proxy's
// streams never learn the version.
#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/event/buffer_budget.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/http/stream.h"

namespace gatehouse::dataplane::http {

class ServerCodec {
 public:
  // What a codec needs from the connection that owns it.
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    // A new request arrived; `encoder` answers it and lives until the decoder is done or reset.
    virtual RequestDecoder& NewStream(ResponseEncoder& encoder) = 0;
    virtual void Write(std::string data) = 0;
    // Writes a copy of `data` (a body passing through), appended to what is queued if it can.
    virtual void WriteCopy(absl::string_view data) { Write(std::string(data)); }
    virtual bool WriteBlocked() const = 0;
    virtual void PauseReading(bool paused) = 0;
    // The connection is finished once its queued bytes are written.
    virtual void CloseAfterWrites(CloseReason reason, absl::string_view detail) = 0;
    // The connection is finished now; queued bytes are dropped.
    virtual void Abort(CloseReason reason, absl::string_view detail) = 0;
    // The codec can take input again: HTTP/1.1's previous response is complete and the next
    // request may be parsed; HTTP/2's last open stream closed.
    virtual void OnReadyForNextRequest() = 0;
    virtual std::string peer_ip() const = 0;
    // Where a multiplexed codec arms the send deadline of each stream whose response waits on
    // the client (HTTP/2 flow control); null: none.
    virtual event::DeadlineQueue* stream_send_timeouts() { return nullptr; }
    // What the connection's buffers are charged to, the codec's streams' included; null: no
    // limit.
    virtual event::BufferBudget* buffer_budget() { return nullptr; }
  };

  virtual ~ServerCodec() = default;

  // Parses what it can of `input`; returns the number of bytes consumed. Bytes the codec cannot
  // take yet (an HTTP/1.1 pipelined request) stay unconsumed.
  virtual size_t Dispatch(absl::string_view input) = 0;
  // The downstream's write queue drained.
  virtual void OnWritable() = 0;
  // The downstream closed or failed.
  virtual void OnRemoteClose(absl::string_view error) = 0;
  // True when no request is in progress.
  virtual bool idle() const = 0;
  // True while the only requests in progress are still receiving their heads.
  virtual bool reading_head() const = 0;
  // True once the connection switched protocols (101): bytes pass through both ways.
  virtual bool tunneling() const = 0;
  // Answers a connection-level failure of the connection's own (`status` 408: the head did not
  // arrive in time) and closes the connection.
  virtual void Reject(int status, absl::string_view reason) = 0;
  // Takes no new requests; those in progress finish, then the connection closes, counted as
  // `reason` (kDrain, or kIdleTimeout for a connection that had nothing in progress).
  virtual void Drain(CloseReason reason) = 0;
};

// The version a connection speaks, as its first bytes or its TLS handshake tell.
enum class ServerProtocol { kUnknownYet, kHttp1, kHttp2 };

// A cleartext connection's version from the bytes read so far: HTTP/2 when they begin with its
// connection preface (prior knowledge), HTTP/1.1 as soon as they cannot, else not yet known.
ServerProtocol DetectCleartextProtocol(absl::string_view input);
// A TLS connection's version from the protocol agreed through ALPN.
ServerProtocol ProtocolFromAlpn(absl::string_view alpn);

// A codec for `protocol` (kHttp1 or kHttp2) reporting to `callbacks`.
std::unique_ptr<ServerCodec> NewServerCodec(ServerProtocol protocol,
                                            ServerCodec::Callbacks* callbacks);

}  // namespace gatehouse::dataplane::http
