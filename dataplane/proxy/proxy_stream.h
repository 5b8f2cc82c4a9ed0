// One request's trip through the proxy: route it, pick an endpoint, borrow an upstream
// connection, and stream the request up and the response down with backpressure both ways.
//
// A request whose upstream connection failed before any of it was sent (a connect failure or
// timeout) is retried once on another endpoint. A bodiless request with an idempotent method
// whose reused keep-alive connection turned out closed before any response byte is sent once
// more on a fresh connection to the same endpoint. Each exchange's outcome feeds the worker's
// outlier detection.
//
// The stream answers locally when it cannot forward: 404 when no route matches, 413 when the
// request body is over the route's limit, 503 when the cluster has no endpoint, 502 when the
// upstream fails before answering.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "absl/random/random.h"
#include "common/metrics.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/event/timer.h"
#include "dataplane/http/stream.h"
#include "dataplane/proxy/access_log.h"
#include "dataplane/proxy/proxy_settings.h"
#include "dataplane/upstream/conn_pool.h"
#include "dataplane/upstream/load_balancer.h"

namespace gatehouse::dataplane::proxy {

// Counters every stream of a worker updates.
struct ProxyStats {
  ProxyStats();
  Counter* requests;
  Counter* local_404;
  Counter* local_502;
  Counter* local_503;
  Counter* local_504;
  Counter* local_413;
  // Client connections closed, by CloseReason.
  std::array<Counter*, http::kCloseReasonCount> closed;
  Counter* upstream_connects;
  Counter* upstream_reuses;
  Counter* upstream_failures;
  Counter* upstream_retries;
};

// What a stream needs from the worker it runs on.
struct WorkerContext {
  event::Dispatcher& dispatcher;
  upstream::ConnPools& pools;
  upstream::LoadBalancer& balancer;
  ProxyStats& stats;
  const ProxySettings& settings;
  // The worker's own, for request ids and load balancing: fast, seeded from the system, not
  // for secrets.
  absl::InsecureBitGen& random;
  AccessLog* access_log;  // null: no access log
  int worker_index;
  // Every kept-alive connection's idle timeout, and every request head's.
  event::DeadlineQueue& idle_timeouts;
  event::DeadlineQueue& request_header_timeouts;
  event::DeadlineQueue& tunnel_idle_timeouts;
  // Connections whose peer stopped taking bytes (--send-timeout).
  event::DeadlineQueue& send_timeouts;
  // Requests waiting for their response's head (--upstream-response-timeout).
  event::DeadlineQueue& upstream_response_timeouts;
};

// What every request of one client connection shares.
struct DownstreamInfo {
  std::string scheme;       // "http" or "https", for X-Forwarded-Proto
  uint16_t local_port = 0;  // the port the client connected to, for X-Forwarded-Port
};

// A new X-Request-Id: a random (version 4) UUID.
std::string NewRequestId(absl::InsecureBitGen& random);

class ProxyStream : public event::DeferredDeletable,
                    public http::RequestDecoder,
                    public http::ResponseDecoder,
                    private upstream::UpstreamStream::Listener,
                    private event::DeadlineQueue::Entry {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The stream finished (response complete or abandoned); the owner retires it.
    virtual void OnStreamDone(ProxyStream& stream) = 0;
  };

  ProxyStream(WorkerContext& context, Owner& owner, http::ResponseEncoder& encoder,
              std::shared_ptr<const config::DataplaneConfig> config, DownstreamInfo downstream);
  ~ProxyStream() override;

  // http::RequestDecoder
  void DecodeHeaders(http::RequestHead head, bool end_stream) override;
  void DecodeData(absl::string_view data, bool end_stream) override;
  void DecodeTrailers(http::HeaderMap trailers) override;
  void OnDownstreamWritable() override;
  void OnDownstreamReset(absl::string_view reason) override;

  // http::ResponseDecoder
  void DecodeResponseHeaders(http::ResponseHead head, bool end_stream) override;
  void DecodeResponseData(absl::string_view data, bool end_stream) override;
  void DecodeResponseTrailers(http::HeaderMap trailers) override;
  void OnUpstreamWritable() override;
  void OnUpstreamReset(absl::string_view reason) override;

 private:
  // upstream::UpstreamStream::Listener
  void OnConnect(upstream::UpstreamStream& connection, const absl::Status& status) override;
  // event::DeadlineQueue::Entry: the response head did not come in time.
  void OnDeadline() override { OnUpstreamTimeout(); }

  // Starts the exchange with `endpoint`: a pooled connection, or a new one.
  void ConnectTo(const config::EndpointAddress& endpoint);
  // The connection to endpoint_ failed before any byte was sent: retry elsewhere, or 502/504.
  void OnConnectFailed(int status, absl::string_view message);
  // Sets X-Forwarded-For, -Proto, -Host and -Port and, when absent, X-Request-Id.
  void AddForwardingHeaders(http::RequestHead& head);
  // The request's key for consistent hashing; sets set_cookie_ when a cookie must be made.
  std::string HashKey(const http::RequestHead& head, const v1::LoadBalancing& balancing);
  // The endpoint_ no longer carries this request (least request counts).
  void LeaveEndpoint();
  void StartUpstream();
  void OnUpstreamTimeout();
  // Stops the connect and response-head deadlines.
  void StopUpstreamTimers();
  // The body went over the route's limit: 413 if the response has not started.
  void RejectBody();
  void LocalReply(int status, absl::string_view message);
  void Finish();
  void DropUpstream();

  WorkerContext& context_;
  Owner& owner_;
  http::ResponseEncoder& encoder_;
  std::shared_ptr<const config::DataplaneConfig> config_;  // the version this request started with
  const DownstreamInfo downstream_;
  const config::ClusterConfig* cluster_ = nullptr;     // in config_
  const config::EndpointAddress* endpoint_ = nullptr;  // in config_; null when none is in use
  v1::LoadBalancing::Policy policy_ = v1::LoadBalancing::ROUND_ROBIN;
  std::string hash_key_;
  std::string set_cookie_;             // a Set-Cookie for the response (cookie affinity), or empty
  std::string redirect_location_;      // the Location of a 308 to HTTPS, or empty
  const std::string* hsts_ = nullptr;  // in config_: Strict-Transport-Security to send
  bool reused_ = false;                // the upstream connection came from the pool
  bool tunnel_ = false;  // the upstream switched protocols (101): bytes pass both ways
  int retries_left_ = 1;
  http::RequestHead upstream_head_;
  std::unique_ptr<upstream::UpstreamStream> upstream_;
  bool upstream_ready_ = false;  // headers sent upstream; body bytes go straight through
  std::string pending_body_;     // request body received while connecting
  std::optional<http::HeaderMap> pending_trailers_;  // request trailers received meanwhile
  bool request_end_ = false;                         // the downstream request is complete
  uint64_t body_limit_ = 0;  // the route's limit on the request body; 0: none
  uint64_t body_received_ = 0;
  // Filled as the request goes, written when the stream is destroyed; only with an access log.
  std::unique_ptr<AccessRecord> record_;
  bool response_started_ = false;
  bool done_ = false;
  // The connect deadline, made only for a new connection (the cluster sets its length); the
  // response-head deadline is this stream's entry in context_.upstream_response_timeouts.
  std::unique_ptr<event::Timer> connect_timer_;
  bool connecting_ = false;
};

}  // namespace gatehouse::dataplane::proxy
