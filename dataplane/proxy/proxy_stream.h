// One request's trip through the proxy: route it, run its route's filter chain, pick an
// endpoint, borrow an upstream exchange, and stream the request up and the response down with
// backpressure both ways.
//
// A request whose upstream connection failed before any of it was sent (a connect failure or
// timeout) is retried once on another endpoint. A bodiless request with an idempotent method
// whose reused keep-alive connection turned out closed before any response byte is sent once
// more on a fresh connection to the same endpoint. Each exchange's outcome feeds the worker's
// outlier detection.
//
// The stream answers locally when it cannot forward: 404 when no route matches, 503 when the
// cluster has no endpoint, 502 when the upstream fails before answering, 504 when it is too slow;
// filters answer for themselves (a redirect, a 413). Its progress is one Phase, changed only by
// SetPhase, which checks the phase it leaves.
//
// Every stall has a deadline: the upstream connect; the response head, from the moment the
// whole request has gone up (an upload may take as long as it takes); the client's request body
// between two reads, except while the proxy itself holds the body back (408); and no byte
// either way for the stream idle timeout (408 while the request is incomplete, 504 after, a
// reset once the response has started). A tunnel has its connection's idle timeout instead.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/random/random.h"
#include "common/metrics.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/buffer_budget.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/event/timer.h"
#include "dataplane/event/work_queue.h"
#include "dataplane/filters/filter_chain.h"
#include "dataplane/http/stream.h"
#include "dataplane/proxy/access_log.h"
#include "dataplane/proxy/mirrors.h"
#include "dataplane/proxy/proxy_settings.h"
#include "dataplane/proxy/request_metrics.h"
#include "dataplane/proxy/retry_state.h"
#include "dataplane/proxy/side_requests.h"
#include "dataplane/proxy/upstream_timers.h"
#include "dataplane/upstream/load_balancer.h"
#include "dataplane/upstream/upstream_connector.h"

namespace gatehouse::dataplane::proxy {

// Counters every stream of a worker updates.
struct ProxyStats {
  ProxyStats();
  Counter* requests;
  // Requests the data plane answered itself, by status; made on first use.
  Counter* LocalReplies(int status);
  absl::flat_hash_map<int, Counter*> local_replies;
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
  upstream::UpstreamConnector& upstreams;
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
  // Requests sent whole, waiting for their response's head (--upstream-response-timeout).
  event::DeadlineQueue& upstream_response_timeouts;
  // Request bodies between two reads of the client's bytes (--request-body-timeout).
  event::DeadlineQueue& request_body_timeouts;
  // Streams with no bytes either way (--stream-idle-timeout).
  event::DeadlineQueue& stream_idle_timeouts;
  // Copies of requests to their routes' mirrors.
  Mirrors& mirrors;
  // Work too costly for the loop (password checks), on the thread pool.
  event::WorkQueue& blocking_work;
  // Requests the filters send of their own (external auth).
  SideRequests& side_requests;
  // Counts by route for /metrics; null: not counted (--request-metrics=false).
  RequestMetrics* request_metrics = nullptr;
};

class ProxyStream : public event::DeferredDeletable,
                    public http::RequestDecoder,
                    public http::ResponseDecoder,
                    private filters::FilterCallbacks,
                    private upstream::UpstreamStream::Listener,
                    private event::DeadlineQueue::Entry {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The stream finished (response complete or abandoned); the owner retires it.
    virtual void OnStreamDone(ProxyStream& stream) = 0;
    // What the connection's buffers are charged to; null: no limit.
    virtual event::BufferBudget* buffer_budget() { return nullptr; }
  };

  ProxyStream(WorkerContext& context, Owner& owner, http::ResponseEncoder& encoder,
              std::shared_ptr<const config::DataplaneConfig> config,
              filters::DownstreamInfo downstream);
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
  enum class Phase {
    kHead,        // waiting for the request's head
    kMatching,    // the route match runs off the loop (a long path on a regex host)
    kFiltering,   // a filter stopped the request chain; it resumes it later
    kConnecting,  // waiting for a new upstream connection (the body waits in pending_body_)
    kRequesting,  // the request goes upstream; no response yet
    kResponding,  // the response goes downstream
    kTunnel,      // the upstream switched protocols (101): bytes pass both ways
    kDone,        // answered or abandoned: nothing more happens
  };
  // Moves to `next`; leaving a phase that cannot lead there is a bug, and aborts.
  void SetPhase(Phase next);
  // The request waits (a filter holds it, or its route is being found): body bytes are kept.
  bool held() const { return phase_ == Phase::kFiltering || phase_ == Phase::kMatching; }
  bool response_started() const { return phase_ == Phase::kResponding || phase_ == Phase::kTunnel; }
  // Headers went upstream: body bytes go straight through.
  bool upstream_ready() const {
    return upstream_ != nullptr && (phase_ == Phase::kRequesting || response_started());
  }

  // filters::FilterCallbacks
  const filters::DownstreamInfo& downstream() const override { return downstream_; }
  absl::InsecureBitGen& random() override { return context_.random; }
  void SendLocalReply(int status, absl::string_view message, http::HeaderMap headers) override;
  void ContinueRequest() override;
  void SetRequestId(absl::string_view id) override;
  bool RunBlocking(absl::AnyInvocable<void()> work, absl::AnyInvocable<void(bool)> done) override;
  uint64_t SendSideRequest(absl::string_view cluster, http::RequestHead head, uint64_t timeout_ms,
                           absl::AnyInvocable<void(filters::SideResponse)> done) override;
  void CancelSideRequest(uint64_t id) override;

  // upstream::UpstreamStream::Listener
  void OnConnect(upstream::UpstreamStream& connection, const absl::Status& status) override;
  // event::DeadlineQueue::Entry: the response head did not come in time.
  void OnDeadline() override { OnUpstreamTimeout(); }

  // Takes the request on from its route match: its route, backend and filters, then the chain.
  void OnRouted(const router::MatchResult& match, http::RequestHead head);
  // Matches the request (upstream_head_) in `host` on the worker's blocking pool: the path is
  // long enough on a host with regex paths that the match could stall the loop.
  struct PendingMatch;
  void MatchOffLoop(const router::VirtualHostEntry* host);
  void OnMatchedOffLoop(const PendingMatch& pending, bool ran);
  // Runs the request-header hooks from request_filter_ on; then, unless one stopped or
  // answered, the held body through every data hook, and on to the upstream.
  void RunRequestHeaders();
  // Runs `data` through every filter's data hook; false when one answered (the stream is done).
  bool RunRequestData(absl::string_view data, bool end_stream);
  bool RunRequestTrailers(http::HeaderMap& trailers);
  // After the request chain: 404, 503, or on to an endpoint.
  void RouteToUpstream();
  // Starts the route's request mirrors' copies of the request as it goes upstream.
  void StartMirrors();
  // More of the request body for the copies still taking it.
  void FeedMirrors(absl::string_view data, bool end_stream);
  // The request will not complete: the copies still taking its body are dropped.
  void AbandonMirrors();
  // Starts the exchange with `endpoint`: a pooled connection, or a new one.
  void ConnectTo(const config::EndpointAddress& endpoint);
  // The connection to endpoint_ failed before any byte was sent: retry elsewhere, or 502/504.
  void OnConnectFailed(int status, absl::string_view message);
  // The request's key for consistent hashing; sets set_cookie_ when a cookie must be made.
  std::string HashKey(const http::RequestHead& head, const v1::LoadBalancing& balancing);
  // The endpoint_ no longer carries this request (least request counts).
  void LeaveEndpoint();
  void StartUpstream();
  void OnUpstreamTimeout();
  void OnTimerExpired(UpstreamTimers::Kind kind);
  // Under the route's retry policy, sends the request to another endpoint than `failed` after
  // an attempt failed so; false when the policy or the endpoints do not allow it (the caller
  // answers).
  bool RetryElsewhere(RetryState::Failure failure, int status,
                      const config::EndpointAddress* failed);
  // The route's error pages: an answer with `status` is replaced by its error backend's, asked
  // with a GET of the same target; false when the route has none for it or it cannot be had.
  bool ServeErrorPage(int status);
  // The route's timeouts; zeros without a route.
  const v1::RouteTimeouts& timeouts() const;
  // The upstream takes no more request bytes for now: stop reading the client's, and start the
  // route's send deadline.
  void OnUpstreamWriteBlocked();
  // The route's read deadline starts again (a response byte came, or the client took some).
  void RestartReadDeadline();
  // Stops the connect, read and response-head deadlines (not the send deadline: the request
  // body may still be going up after the response head came).
  void StopUpstreamTimers();
  // The whole request has gone up: the response head is awaited from now.
  void OnRequestSent();
  // Reading the client's request body stops (or goes on); the request body deadline runs only
  // while the proxy reads.
  void PauseRequestBody(bool paused);
  void OnRequestBodyTimeout();
  // A byte moved one way or the other: the stream idle deadline starts again.
  void Touch();
  void OnStreamIdleTimeout();
  // A reply of the data plane's own, through the response hooks of the filters that saw the
  // request; or, once the response has started, a reset.
  void LocalReply(int status, absl::string_view message, http::HeaderMap headers = {});
  void Finish();
  // Lets go of the upstream stream's listener, decoder and budget; DropUpstream also frees it.
  void DetachUpstream();
  void DropUpstream();

  WorkerContext& context_;
  Owner& owner_;
  http::ResponseEncoder& encoder_;
  std::shared_ptr<const config::DataplaneConfig> config_;  // the version this request started with
  // The connection's; behind trusted proxies, what they say (ApplyForwardedHeaders).
  filters::DownstreamInfo downstream_;
  Phase phase_ = Phase::kHead;
  // The request's virtual host, in config_; null: none. Its name is the share its blocking work
  // is charged to.
  const router::VirtualHostEntry* virtual_host_ = nullptr;
  std::shared_ptr<PendingMatch> pending_match_;        // while kMatching
  const router::RouteEntry* route_ = nullptr;          // in config_; null: the host's default
  const router::Backend* backend_ = nullptr;           // in config_; the route's, as chosen
  const std::string* cluster_name_ = nullptr;          // in config_; null: no route (404)
  const config::ClusterConfig* cluster_ = nullptr;     // in config_
  const config::EndpointAddress* endpoint_ = nullptr;  // in config_; null when none is in use
  filters::FilterList filters_;  // this request's instances of its route's chain
  size_t request_filter_ = 0;    // the next filter whose request-header hook runs
  v1::LoadBalancing::Policy policy_ = v1::LoadBalancing::ROUND_ROBIN;
  std::string hash_key_;
  std::string set_cookie_;    // a Set-Cookie for the response (cookie affinity), or empty
  bool reused_ = false;       // the upstream connection came from the pool
  bool request_end_ = false;  // the downstream request is complete
  int retries_left_ = 1;      // without a route retry policy
  RetryState retry_;
  bool sent_upstream_ = false;  // the current attempt's head went upstream
  bool serving_error_page_ = false;
  // As the client sent them; kept only for a route with error pages (X-Original-URI) or
  // mirrors (their targets' variables).
  std::string original_target_;
  std::string original_authority_;
  // Copies of this request still taking its body.
  absl::InlinedVector<Mirrors::Id, 1> mirror_copies_;
  http::RequestHead upstream_head_;
  std::unique_ptr<upstream::UpstreamStream> upstream_;
  // Request body received before the upstream could take it (while filtering or connecting).
  std::string pending_body_;
  std::optional<http::HeaderMap> pending_trailers_;  // request trailers received meanwhile
  uint64_t body_received_ = 0;
  // Filled as the request goes, written when the stream is destroyed; only with an access log.
  std::unique_ptr<AccessRecord> record_;
  // The connect deadline (the route, the cluster or the settings set its length) and the
  // route's read and send deadlines. Without a route read timeout, the response-head deadline is
  // this stream's entry in context_.upstream_response_timeouts.
  UpstreamTimers timers_;
  event::MemberDeadline<ProxyStream, &ProxyStream::OnRequestBodyTimeout> body_deadline_{this};
  event::MemberDeadline<ProxyStream, &ProxyStream::OnStreamIdleTimeout> idle_deadline_{this};
  bool body_paused_ = false;  // the proxy stopped reading the request body
  // For the request's metrics (and access log line): when its head came, its method, the
  // status answered (0: none), and the response body bytes sent.
  std::chrono::steady_clock::time_point start_;
  std::string method_;
  int status_ = 0;
  uint64_t response_body_bytes_ = 0;
};

}  // namespace gatehouse::dataplane::proxy
