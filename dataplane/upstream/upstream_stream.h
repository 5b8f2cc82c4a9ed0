// One exchange with an endpoint, as the proxy sees it whatever the protocol: a RequestEncoder
// for the request, a ResponseDecoder the response goes to, and word of when the connection under
// it is ready. Over HTTP/1.1 the exchange has its connection to itself (the UpstreamConnection is
// the stream); over HTTP/2 it is one stream of a connection shared with others.
//
// Owned by the proxy stream using it, destroyed only through Dispatcher::DeferDelete, and
// handed back to the ConnPools when its exchange ends.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "dataplane/event/buffer_budget.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/http/stream.h"

namespace gatehouse::dataplane::upstream {

class UpstreamStream : public event::DeferredDeletable {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // The connection under the stream is ready (the request may go), or could not be made.
    virtual void OnConnect(UpstreamStream& stream, const absl::Status& status) = 0;
  };

  ~UpstreamStream() override = default;

  virtual void SetListener(Listener* listener) = 0;
  virtual http::RequestEncoder& encoder() = 0;
  // The decoder of the response; nullptr detaches it.
  virtual void SetDecoder(http::ResponseDecoder* decoder) = 0;
  // Charges what the stream buffers on its way up to `budget`, the client connection's (null:
  // to none). An HTTP/2 stream's request body is bounded by its own watermark instead.
  virtual void SetBufferBudget(event::BufferBudget* budget) {}
  // True when the stream shares a connection with others (HTTP/2).
  virtual bool multiplexed() const = 0;
  // "ip:port" of the endpoint, for logs.
  virtual const std::string& endpoint_key() const = 0;
};

}  // namespace gatehouse::dataplane::upstream
