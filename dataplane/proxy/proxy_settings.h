// The data plane's connection-handling settings, from its flags; the same for every worker.
#pragma once

#include "absl/time/time.h"
#include "dataplane/proxy/client_address.h"
#include "dataplane/upstream/conn_pool.h"

namespace gatehouse::dataplane::proxy {

struct ProxySettings {
  // Password checks (basic auth) a worker has waiting or running on the thread pool at once;
  // past it, a request that needs one more gets 503.
  size_t blocking_work_limit = 64;
  // From a request's first byte until its head is complete (slow clients: 408, then closed).
  absl::Duration request_header_timeout = absl::Seconds(10);
  // A keep-alive client connection with no request in progress is closed after this.
  absl::Duration idle_timeout = absl::Seconds(60);
  // A switched-protocol tunnel (WebSocket) with no bytes either way for this long is closed.
  absl::Duration tunnel_idle_timeout = absl::Hours(1);
  // A client whose connection takes none of the bytes queued for it this long (it stopped
  // reading) is disconnected, and the upstream it held let go.
  absl::Duration send_timeout = absl::Seconds(60);
  // From the request's arrival until the upstream connection is established (504 after).
  // A cluster's own connect timeout, when the config sets one, takes precedence.
  absl::Duration upstream_connect_timeout = absl::Seconds(5);
  // From the whole request having been sent upstream until the response head arrives (504
  // after).
  absl::Duration upstream_response_timeout = absl::Seconds(60);
  // Between two reads of a request body, while the proxy reads it (408 after, as nginx's
  // client_body_timeout).
  absl::Duration request_body_timeout = absl::Seconds(60);
  // A stream with no bytes in either direction (408 or 504 before the response, a reset after;
  // as Envoy's stream_idle_timeout).
  absl::Duration stream_idle_timeout = absl::Minutes(5);
  // The bytes one client connection may make the data plane hold, across its streams and both
  // directions; past it, its streams pause reading (event::BufferBudget). 0: no limit.
  size_t max_connection_buffer = 4 << 20;
  // How idle upstream connections are kept.
  upstream::PoolSettings upstream_pool;
  // Whose X-Forwarded-* headers count (--use-forwarded-headers, --proxy-real-ip-cidr,
  // --compute-full-forwarded-for).
  ForwardedHeadersSettings forwarded;
  // Every accepted connection starts with a PROXY protocol header naming the client
  // (--use-proxy-protocol); one without it is closed.
  bool use_proxy_protocol = false;
  // Requests are counted by route for /metrics (RequestMetrics; --request-metrics).
  bool request_metrics = true;
};

}  // namespace gatehouse::dataplane::proxy
