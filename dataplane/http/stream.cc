#include "dataplane/http/stream.h"

namespace gatehouse::dataplane::http {

absl::string_view CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kConnectionClose: return "connection_close";
    case CloseReason::kRejectedRequest: return "rejected_request";
    case CloseReason::kRequestHeaderTimeout: return "request_header_timeout";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kUnreadRequestBody: return "unread_request_body";
    case CloseReason::kUpstreamReset: return "upstream_reset";
    case CloseReason::kSendTimeout: return "send_timeout";
    case CloseReason::kMaxConnections: return "max_connections";
    case CloseReason::kDrain: return "drain";
    case CloseReason::kShutdown: return "shutdown";
  }
  return "unknown";
}

}  // namespace gatehouse::dataplane::http
