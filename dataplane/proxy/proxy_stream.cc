#include "dataplane/proxy/proxy_stream.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/path_regex.h"
#include "dataplane/filters/forwarding_headers.h"
#include "dataplane/filters/redirect.h"

namespace gatehouse::dataplane::proxy {
namespace {

constexpr size_t kMaxPendingBody = 1 << 20;

}  // namespace

// What a match on the pool needs, kept alive by the work and its completion both.
struct ProxyStream::PendingMatch {
  ProxyStream* stream;  // null once the stream is gone; loop thread only
  std::shared_ptr<const config::DataplaneConfig> config;  // holds `host`
  const router::VirtualHostEntry* host;
  std::string path;
  std::atomic<bool> abandoned{false};
  router::MatchResult result;  // written by the pool's thread, read after it is done
};

ProxyStats::ProxyStats()
    : requests(MetricsRegistry::Global().GetCounter("gatehouse_dataplane_requests_total",
                                                    "Requests received from clients.")),
      upstream_connects(MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_upstream_connections_total", "Upstream connections opened.")),
      upstream_reuses(MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_upstream_reuses_total",
          "Requests sent on a pooled keep-alive upstream connection.")),
      upstream_failures(MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_upstream_failures_total",
          "Upstream connections that failed to connect or broke mid-exchange.")),
      upstream_retries(MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_upstream_retries_total",
          "Requests sent again after their upstream connection failed before any of it was "
          "sent.")) {
  for (int i = 0; i < http::kCloseReasonCount; ++i) {
    closed[i] = MetricsRegistry::Global().GetCounter(
        "gatehouse_dataplane_downstream_closed_total", "Client connections closed, by reason.",
        {{"reason", std::string(http::CloseReasonName(static_cast<http::CloseReason>(i)))}});
  }
}

Counter* ProxyStats::LocalReplies(int status) {
  Counter*& counter = local_replies[status];
  if (counter == nullptr) {
    counter = MetricsRegistry::Global().GetCounter(
        "gatehouse_dataplane_local_replies_total",
        "Requests the data plane answered itself, by status.", {{"code", absl::StrCat(status)}});
  }
  return counter;
}

ProxyStream::ProxyStream(WorkerContext& context, Owner& owner, http::ResponseEncoder& encoder,
                         std::shared_ptr<const config::DataplaneConfig> config,
                         filters::DownstreamInfo downstream)
    : context_(context),
      owner_(owner),
      encoder_(encoder),
      config_(std::move(config)),
      downstream_(std::move(downstream)),
      timers_(context.dispatcher, [this](UpstreamTimers::Kind kind) { OnTimerExpired(kind); }) {}

ProxyStream::~ProxyStream() {
  if (pending_match_ != nullptr) {
    pending_match_->stream = nullptr;
    pending_match_->abandoned = true;
  }
  AbandonMirrors();
  if (upstream_ != nullptr) DropUpstream();
  LeaveEndpoint();
  if (record_ != nullptr) {
    record_->duration = absl::Now() - record_->start;
    record_->request_body_bytes = body_received_;
    context_.access_log->Write(*record_);
  }
  if (context_.request_metrics != nullptr && !method_.empty()) {
    // A route whose backends all weigh 0 still names its Ingress (its first backend's labels).
    const std::shared_ptr<const router::RequestLabels>& labels =
        backend_ != nullptr ? backend_->labels
        : route_ != nullptr && !route_->backends.backends().empty()
            ? route_->backends.backends().front().labels
        : virtual_host_ != nullptr ? virtual_host_->labels
                                   : router::RequestLabels::NoHost();
    context_.request_metrics->Record(labels, method_, status_,
                                     absl::FromChrono(std::chrono::steady_clock::now() - start_),
                                     body_received_, response_body_bytes_);
  }
}

void ProxyStream::SetPhase(Phase next) {
  bool allowed = false;
  switch (phase_) {
    case Phase::kHead:
      allowed = next != Phase::kHead && next != Phase::kResponding && next != Phase::kTunnel;
      break;
    case Phase::kMatching:
      allowed = next == Phase::kFiltering || next == Phase::kConnecting ||
                next == Phase::kRequesting || next == Phase::kDone;
      break;
    case Phase::kFiltering:
      allowed = next == Phase::kConnecting || next == Phase::kRequesting || next == Phase::kDone;
      break;
    case Phase::kConnecting:  // a retry connects again
    case Phase::kRequesting:  // a retry after a reset connects again, or reuses at once
      allowed = next != Phase::kHead && next != Phase::kFiltering;
      break;
    case Phase::kResponding:
    case Phase::kTunnel:
      allowed = next == Phase::kDone;
      break;
    case Phase::kDone:
      break;
  }
  if (!allowed) {
    LOG_FATAL("proxy stream: no transition from phase ", static_cast<int>(phase_), " to ",
              static_cast<int>(next));
  }
  phase_ = next;
  if (next == Phase::kDone || next == Phase::kTunnel) {
    // Nothing more to wait for; a tunnel has its connection's idle timeout.
    event::DeadlineQueue::Disarm(body_deadline_);
    event::DeadlineQueue::Disarm(idle_deadline_);
  }
}

void ProxyStream::Touch() {
  if (phase_ != Phase::kDone && phase_ != Phase::kTunnel) {
    context_.stream_idle_timeouts.Arm(idle_deadline_);
  }
}

void ProxyStream::PauseRequestBody(bool paused) {
  body_paused_ = paused;
  encoder_.PauseRequestBody(paused);
  if (paused || request_end_ || phase_ == Phase::kDone) {
    event::DeadlineQueue::Disarm(body_deadline_);
  } else if (!body_deadline_.armed()) {
    context_.request_body_timeouts.Arm(body_deadline_);
  }
}

void ProxyStream::OnRequestBodyTimeout() {
  if (phase_ == Phase::kDone || request_end_) return;
  LocalReply(408, "the client sent no request body bytes for the request body timeout");
}

void ProxyStream::OnStreamIdleTimeout() {
  if (phase_ == Phase::kDone || phase_ == Phase::kTunnel) return;
  // Waiting on the upstream: 504; on the client: 408; once the response started, a reset.
  LocalReply(request_end_ || response_started() ? 504 : 408,
             "no bytes either way for the stream idle timeout");
}

void ProxyStream::OnRequestSent() {
  if (phase_ != Phase::kRequesting) return;
  timers_.Stop(UpstreamTimers::Kind::kSend);
  if (timeouts().read_ms() > 0) {
    timers_.Start(UpstreamTimers::Kind::kRead, timeouts().read_ms());
  } else {
    context_.upstream_response_timeouts.Arm(*this);
  }
}

const v1::RouteTimeouts& ProxyStream::timeouts() const {
  return route_ != nullptr ? route_->timeouts : v1::RouteTimeouts::default_instance();
}

void ProxyStream::OnUpstreamWriteBlocked() {
  PauseRequestBody(true);
  if (timeouts().send_ms() > 0) timers_.Start(UpstreamTimers::Kind::kSend, timeouts().send_ms());
}

void ProxyStream::RestartReadDeadline() {
  if (timeouts().read_ms() > 0 && phase_ == Phase::kResponding) {
    timers_.Start(UpstreamTimers::Kind::kRead, timeouts().read_ms());
  }
}

void ProxyStream::OnTimerExpired(UpstreamTimers::Kind kind) {
  switch (kind) {
    case UpstreamTimers::Kind::kConnect:
      OnUpstreamTimeout();
      return;
    case UpstreamTimers::Kind::kRead:
      if (phase_ == Phase::kRequesting) {
        OnUpstreamTimeout();
      } else if (phase_ == Phase::kResponding) {
        context_.stats.upstream_failures->Increment();
        LocalReply(504, "upstream sent nothing for the route's read timeout");
      }
      return;
    case UpstreamTimers::Kind::kSend:
      if (phase_ == Phase::kRequesting || phase_ == Phase::kResponding) {
        context_.stats.upstream_failures->Increment();
        LocalReply(504, "upstream took no request bytes for the route's send timeout");
      }
      return;
  }
}

void ProxyStream::DecodeHeaders(http::RequestHead head, bool end_stream) {
  context_.stats.requests->Increment();
  ApplyForwardedHeaders(context_.settings.forwarded, head.headers, &downstream_);
  request_end_ = end_stream;
  Touch();
  if (!end_stream) context_.request_body_timeouts.Arm(body_deadline_);
  if (context_.request_metrics != nullptr) {
    start_ = std::chrono::steady_clock::now();
    method_ = head.method;
  }
  if (context_.access_log != nullptr) {
    record_ = std::make_unique<AccessRecord>();
    record_->start = absl::Now();
    record_->worker = context_.worker_index;
    record_->client = downstream_.client_ip;
    record_->method = head.method;
    record_->authority = head.authority;
    record_->target = head.target;
    record_->protocol = absl::StrCat("HTTP/", head.version_major, ".", head.version_minor);
    if (const std::string* agent = head.headers.Get("user-agent")) record_->user_agent = *agent;
  }
  if (config_ == nullptr) {
    LocalReply(503, "no configuration received yet");
    return;
  }
  const router::RouteTable& routes = config_->http_routes();
  const router::VirtualHostEntry* host = routes.FindHost(head.authority);
  if (host != nullptr && host->RegexWork(head.Path().size()) > kMaxLoopRegexWork) {
    upstream_head_ = std::move(head);
    MatchOffLoop(host);
    return;
  }
  router::MatchResult match = router::RouteTable::MatchIn(host, head.Path());
  OnRouted(match, std::move(head));
}

void ProxyStream::MatchOffLoop(const router::VirtualHostEntry* host) {
  virtual_host_ = host;
  auto pending = std::make_shared<PendingMatch>();
  pending->stream = this;
  pending->config = config_;
  pending->host = host;
  pending->path = std::string(upstream_head_.Path());
  bool queued = context_.blocking_work.Submit(
      host->name,
      [pending] {
        if (pending->abandoned.load()) return;
        pending->result = router::RouteTable::MatchIn(pending->host, pending->path);
      },
      [pending](bool ran) {
        if (pending->stream != nullptr) pending->stream->OnMatchedOffLoop(*pending, ran);
      });
  if (!queued) {
    http::HeaderMap headers;
    headers.Add("Retry-After", "1");
    LocalReply(503, "too many long paths are waiting for this host's regex routes",
               std::move(headers));
    return;
  }
  pending_match_ = std::move(pending);
  SetPhase(Phase::kMatching);
}

void ProxyStream::OnMatchedOffLoop(const PendingMatch& pending, bool ran) {
  std::shared_ptr<PendingMatch> keep = std::move(pending_match_);
  if (phase_ != Phase::kMatching) return;  // answered meanwhile (a timeout)
  if (!ran) {
    LocalReply(503, "the worker stopped before the route was found");
    return;
  }
  OnRouted(pending.result, std::move(upstream_head_));
}

void ProxyStream::OnRouted(const router::MatchResult& match, http::RequestHead head) {
  virtual_host_ = match.virtual_host;
  route_ = match.route;
  cluster_name_ = match.cluster;
  if (record_ != nullptr && route_ != nullptr) record_->route = route_->source;
  if (route_ != nullptr) {
    // The backend, and its hash key, come from the request as the client sent it ($http_NAME
    // in ingress-nginx), not as the filters rewrite it (X-Forwarded-For gains the client's
    // address, say).
    if (route_->error_pages.has_value() || !route_->mirrors.empty()) {
      original_target_ = head.target;
      original_authority_ = head.authority;
    }
    if (const router::Backend* backend = route_->backends.Choose(head.headers, context_.random)) {
      backend_ = backend;
      cluster_name_ = &backend->cluster;
      const v1::LoadBalancing& balancing = backend->load_balancing;
      policy_ = balancing.policy();
      if (policy_ == v1::LoadBalancing::CONSISTENT_HASH) hash_key_ = HashKey(head, balancing);
    }
  }
  if (match.filters != nullptr && !match.filters->empty()) {
    match.filters->CreateFilters(filters_);
    for (auto& filter : filters_) filter->set_callbacks(*this);
  }
  if (match.path_too_long) {
    LocalReply(414, "the path is longer than a host with regex paths matches");
    return;
  }
  upstream_head_ = std::move(head);
  RunRequestHeaders();
}

void ProxyStream::RunRequestHeaders() {
  // No body byte has gone through a data hook yet: "end of stream" means none will come.
  bool end_stream = request_end_ && pending_body_.empty() && !pending_trailers_.has_value();
  while (request_filter_ < filters_.size()) {
    filters::FilterStatus status =
        filters_[request_filter_++]->OnRequestHeaders(upstream_head_, end_stream);
    if (phase_ == Phase::kDone) return;  // answered locally
    if (status == filters::FilterStatus::kStop) {
      if (phase_ != Phase::kFiltering) SetPhase(Phase::kFiltering);
      return;
    }
  }
  // What arrived while a filter held the request now meets the data and trailer hooks.
  if (!pending_body_.empty() || (request_end_ && !end_stream)) {
    bool trailers_follow = pending_trailers_.has_value();
    if (!RunRequestData(pending_body_, request_end_ && !trailers_follow)) return;
  }
  if (pending_trailers_.has_value() && !RunRequestTrailers(*pending_trailers_)) return;
  RouteToUpstream();
}

bool ProxyStream::RunRequestData(absl::string_view data, bool end_stream) {
  for (auto& filter : filters_) {
    filters::FilterStatus status = filter->OnRequestData(data, end_stream);
    if (phase_ == Phase::kDone) return false;
    if (status == filters::FilterStatus::kStop) {
      // Holding body bytes is not offered to filters: the request would hang.
      LocalReply(500, "a filter stopped the request body without answering");
      return false;
    }
  }
  return true;
}

bool ProxyStream::RunRequestTrailers(http::HeaderMap& trailers) {
  for (auto& filter : filters_) {
    filters::FilterStatus status = filter->OnRequestTrailers(trailers);
    if (phase_ == Phase::kDone) return false;
    if (status == filters::FilterStatus::kStop) {
      LocalReply(500, "a filter stopped the request trailers without answering");
      return false;
    }
  }
  return true;
}

void ProxyStream::ContinueRequest() {
  if (phase_ != Phase::kFiltering) return;
  RunRequestHeaders();
}

void ProxyStream::SendLocalReply(int status, absl::string_view message, http::HeaderMap headers) {
  if (phase_ == Phase::kDone) return;
  LocalReply(status, message, std::move(headers));
}

bool ProxyStream::RunBlocking(absl::AnyInvocable<void()> work,
                              absl::AnyInvocable<void(bool)> done) {
  return context_.blocking_work.Submit(virtual_host_ != nullptr ? virtual_host_->name : "",
                                       std::move(work), std::move(done));
}

uint64_t ProxyStream::SendSideRequest(absl::string_view cluster, http::RequestHead head,
                                      uint64_t timeout_ms,
                                      absl::AnyInvocable<void(filters::SideResponse)> done) {
  return context_.side_requests.Send(config_, cluster, std::move(head), timeout_ms,
                                     std::move(done));
}

void ProxyStream::CancelSideRequest(uint64_t id) { context_.side_requests.Cancel(id); }

void ProxyStream::SetRequestId(absl::string_view id) {
  if (record_ != nullptr) record_->request_id = std::string(id);
}

void ProxyStream::RouteToUpstream() {
  if (cluster_name_ == nullptr) {
    if (route_ != nullptr) {
      LocalReply(500, "every backend of the route has weight 0");
    } else {
      LocalReply(404, "no route matches this host and path");
    }
    return;
  }
  cluster_ = config_->FindCluster(*cluster_name_);
  // Only a route with a retry policy reads the clock for it: the common path does not.
  if (route_ != nullptr && route_->retry.has_value()) {
    retry_.Start(&*route_->retry, absl::Now());
    // What came while the request was held (a filter, an off-loop match) goes again on a retry.
    retry_.CaptureBody(pending_body_);
  }
  const config::EndpointAddress* endpoint =
      cluster_ != nullptr ? context_.balancer.Pick(*cluster_, policy_, hash_key_) : nullptr;
  if (endpoint == nullptr && route_ != nullptr && route_->error_pages.has_value() &&
      route_->error_pages->when_no_endpoints()) {
    // ingress-nginx's default-backend: the request goes there as it is.
    cluster_name_ = &route_->error_pages->cluster();
    cluster_ = config_->FindCluster(*cluster_name_);
    policy_ = v1::LoadBalancing::ROUND_ROBIN;
    endpoint = cluster_ != nullptr ? context_.balancer.Pick(*cluster_, policy_, "") : nullptr;
  }
  if (endpoint == nullptr) {
    LocalReply(503, "no ready endpoint for this route");
    return;
  }
  // Only a request its route forwards is copied, as nginx mirrors in its content phase.
  StartMirrors();
  ConnectTo(*endpoint);
}

std::string ProxyStream::HashKey(const http::RequestHead& head,
                                 const v1::LoadBalancing& balancing) {
  switch (balancing.hash_key_case()) {
    case v1::LoadBalancing::kHeader: {
      const std::string* value = head.headers.Get(balancing.header());
      return value != nullptr ? *value : std::string();
    }
    case v1::LoadBalancing::kClientIp:
      return downstream_.client_ip;
    case v1::LoadBalancing::kCookie: {
      if (std::optional<absl::string_view> cookie = head.headers.GetCookie(balancing.cookie())) {
        return std::string(*cookie);
      }
      // No cookie yet: make one, pick by it, and have the client keep it.
      std::string value = absl::StrReplaceAll(filters::NewRequestId(context_.random), {{"-", ""}});
      set_cookie_ = absl::StrCat(balancing.cookie(), "=", value, "; Path=/; HttpOnly");
      if (balancing.cookie_max_age_seconds() > 0) {
        absl::StrAppend(&set_cookie_, "; Max-Age=", balancing.cookie_max_age_seconds());
      }
      return value;
    }
    case v1::LoadBalancing::HASH_KEY_NOT_SET:
      break;
  }
  return std::string();
}

void ProxyStream::StartMirrors() {
  // A protocol switch (WebSocket) is not copied: its bytes are no request body.
  if (route_ == nullptr || route_->mirrors.empty() || !upstream_head_.upgrade.empty()) return;
  bool complete = request_end_;
  for (const MirrorPolicy& mirror : route_->mirrors) {
    if (!mirror.Sampled(context_.random)) continue;
    const config::ClusterConfig* cluster = config_->FindCluster(mirror.cluster);
    if (cluster == nullptr) {
      context_.mirrors.CountNotSent();
      continue;
    }
    http::RequestHead copy = upstream_head_;
    copy.target = mirror.Target(
        filters::OriginForm(original_target_), upstream_head_.target,
        absl::AsciiStrToLower(filters::HostWithoutPort(original_authority_)), downstream_.scheme);
    if (!mirror.host.empty()) {
      copy.authority = mirror.host;
      copy.headers.Set("Host", mirror.host);
    }
    absl::string_view body = pending_body_;
    bool copy_complete = complete;
    if (!mirror.with_body) {
      copy.framing = http::BodyFraming::kNone;
      copy.content_length = 0;
      copy.headers.Remove("expect");
      body = "";
      copy_complete = true;
    }
    Mirrors::Id id =
        context_.mirrors.Start(config_, *cluster, std::move(copy), body, copy_complete);
    if (id != 0) mirror_copies_.push_back(id);
  }
}

void ProxyStream::FeedMirrors(absl::string_view data, bool end_stream) {
  for (Mirrors::Id id : mirror_copies_) context_.mirrors.Feed(id, data, end_stream);
  if (end_stream) mirror_copies_.clear();
}

void ProxyStream::AbandonMirrors() {
  for (Mirrors::Id id : mirror_copies_) context_.mirrors.Abandon(id);
  mirror_copies_.clear();
}

void ProxyStream::ConnectTo(const config::EndpointAddress& endpoint) {
  // A retry after a reset: the first attempt's response deadline is not this one's.
  event::DeadlineQueue::Disarm(*this);
  retry_.OnAttempt();
  endpoint_ = &endpoint;
  context_.balancer.OnRequestStart(endpoint);
  absl::StatusOr<std::unique_ptr<upstream::UpstreamStream>> connection =
      context_.upstreams.Acquire(*cluster_, endpoint, &reused_);
  if (!connection.ok()) {
    LeaveEndpoint();
    LocalReply(502, "upstream address is not usable");
    return;
  }
  upstream_ = *std::move(connection);
  upstream_->SetListener(this);
  upstream_->SetBufferBudget(owner_.buffer_budget());
  if (reused_) {
    context_.stats.upstream_reuses->Increment();
    StartUpstream();
    return;
  }
  context_.stats.upstream_connects->Increment();
  SetPhase(Phase::kConnecting);
  uint64_t connect_ms = timeouts().connect_ms() > 0 ? timeouts().connect_ms()
                        : cluster_->connect_timeout_ms > 0
                            ? cluster_->connect_timeout_ms
                            : absl::ToInt64Milliseconds(context_.settings.upstream_connect_timeout);
  timers_.Start(UpstreamTimers::Kind::kConnect, connect_ms);
}

void ProxyStream::LeaveEndpoint() {
  if (endpoint_ == nullptr) return;
  context_.balancer.OnRequestEnd(*endpoint_);
  endpoint_ = nullptr;
}

void ProxyStream::OnConnectFailed(int status, absl::string_view message) {
  context_.stats.upstream_failures->Increment();
  const config::EndpointAddress* failed = endpoint_;
  context_.balancer.OnFailure(*cluster_, *failed);
  DropUpstream();
  LeaveEndpoint();
  if (retry_.has_policy()) {
    RetryState::Failure failure =
        status == 504 ? RetryState::Failure::kTimeout : RetryState::Failure::kError;
    if (!RetryElsewhere(failure, 0, failed)) LocalReply(status, message);
    return;
  }
  if (retries_left_ > 0) {
    // Nothing of the request went anywhere: another endpoint can take it whole.
    const config::EndpointAddress* next =
        context_.balancer.Pick(*cluster_, policy_, hash_key_, failed);
    if (next != nullptr && next != failed) {
      --retries_left_;
      context_.stats.upstream_retries->Increment();
      LOG_DEBUG("upstream ", failed->Key(), ": ", message, "; retrying on ", next->Key());
      ConnectTo(*next);
      return;
    }
  }
  LocalReply(status, message);
}

void ProxyStream::OnUpstreamTimeout() {
  if (phase_ == Phase::kConnecting) {
    OnConnectFailed(504, "upstream connect timed out");
    return;
  }
  if (phase_ != Phase::kRequesting) return;
  context_.stats.upstream_failures->Increment();
  if (endpoint_ != nullptr) context_.balancer.OnFailure(*cluster_, *endpoint_);
  if (RetryElsewhere(RetryState::Failure::kTimeout, 0, endpoint_)) return;
  LocalReply(504, "upstream response timed out");
}

bool ProxyStream::ServeErrorPage(int status) {
  const v1::ErrorPages& pages = *route_->error_pages;
  if (std::find(pages.codes().begin(), pages.codes().end(), static_cast<uint32_t>(status)) ==
      pages.codes().end()) {
    return false;
  }
  // Only a request that has all arrived: the error backend is asked without its body.
  if (!request_end_ || pending_trailers_.has_value()) return false;
  const config::ClusterConfig* cluster = config_->FindCluster(pages.cluster());
  const config::EndpointAddress* endpoint =
      cluster != nullptr ? context_.balancer.Pick(*cluster, v1::LoadBalancing::ROUND_ROBIN, "")
                         : nullptr;
  if (endpoint == nullptr) return false;  // the backend's own answer goes through
  serving_error_page_ = true;
  DropUpstream();
  StopUpstreamTimers();
  timers_.StopAll();
  LeaveEndpoint();
  http::HeaderMap& headers = upstream_head_.headers;
  headers.Set("X-Code", absl::StrCat(status));
  // A copy: Set() moves and frees entries, and the client may have sent X-Format before Accept.
  const std::string* accept = headers.Get("accept");
  std::string format = accept != nullptr ? *accept : "text/html";
  headers.Set("X-Format", format);
  headers.Set("X-Original-URI", original_target_);
  for (const v1::Header& header : pages.headers()) headers.Set(header.name(), header.value());
  // As nginx's error_page: the error backend is asked with GET (HEAD stays HEAD), no body.
  if (upstream_head_.method != "HEAD") upstream_head_.method = "GET";
  upstream_head_.framing = http::BodyFraming::kNone;
  upstream_head_.content_length = 0;
  pending_body_.clear();
  sent_upstream_ = false;
  cluster_name_ = &pages.cluster();
  cluster_ = cluster;
  policy_ = v1::LoadBalancing::ROUND_ROBIN;
  retry_.Start(nullptr, absl::Now());
  ConnectTo(*endpoint);
  return true;
}

bool ProxyStream::RetryElsewhere(RetryState::Failure failure, int status,
                                 const config::EndpointAddress* failed) {
  if (!retry_.Allows(failure, status, sent_upstream_, request_end_, upstream_head_.method,
                     absl::Now())) {
    return false;
  }
  const config::EndpointAddress* next =
      context_.balancer.Pick(*cluster_, policy_, hash_key_, failed);
  if (next == nullptr || next == failed) return false;
  DropUpstream();
  StopUpstreamTimers();
  timers_.Stop(UpstreamTimers::Kind::kSend);
  LeaveEndpoint();
  if (sent_upstream_) {
    // The request went up whole: it goes again, from the copy of its body.
    pending_body_ = retry_.body();
    sent_upstream_ = false;
  }
  context_.stats.upstream_retries->Increment();
  LOG_DEBUG("upstream attempt failed; trying ", next->Key());
  ConnectTo(*next);
  return true;
}

void ProxyStream::OnConnect(upstream::UpstreamStream& connection, const absl::Status& status) {
  if (!status.ok()) {
    LOG_DEBUG("upstream ", connection.endpoint_key(), " connect failed: ", status.message());
    OnConnectFailed(502, "upstream connect failed");
    return;
  }
  StartUpstream();
}

void ProxyStream::StartUpstream() {
  SetPhase(Phase::kRequesting);
  timers_.Stop(UpstreamTimers::Kind::kConnect);
  upstream_->SetDecoder(this);
  bool end_now = request_end_ && pending_body_.empty() && !pending_trailers_.has_value();
  // Each encoder call may end the exchange at once (an HTTP/2 upstream refusing the stream):
  // then the stream has answered, or retried on another exchange, and this attempt is over.
  const upstream::UpstreamStream* attempt = upstream_.get();
  sent_upstream_ = true;
  upstream_->encoder().EncodeHeaders(upstream_head_, end_now);
  if (upstream_.get() != attempt) return;
  if (!end_now && (!pending_body_.empty() || request_end_)) {
    std::string body = std::move(pending_body_);
    pending_body_.clear();
    bool trailers_follow = pending_trailers_.has_value();
    upstream_->encoder().EncodeData(body, request_end_ && !trailers_follow);
    if (upstream_.get() != attempt) return;
    if (trailers_follow) upstream_->encoder().EncodeTrailers(*pending_trailers_);
    if (upstream_.get() != attempt) return;
  }
  if (request_end_) {
    OnRequestSent();
  } else if (upstream_->encoder().WriteBlocked()) {
    OnUpstreamWriteBlocked();
  } else {
    PauseRequestBody(false);
  }
}

void ProxyStream::DecodeData(absl::string_view data, bool end_stream) {
  if (phase_ == Phase::kDone) return;
  body_received_ += data.size();
  Touch();
  // While the request is held, the data hooks wait for the chain to resume.
  if (!held() && !RunRequestData(data, end_stream)) return;
  retry_.CaptureBody(data);
  if (!mirror_copies_.empty()) FeedMirrors(data, end_stream);
  request_end_ = end_stream;
  // The whole body is in: reading may go on (it only buffers up to the next request).
  if (end_stream) {
    PauseRequestBody(false);
  } else if (!body_paused_) {
    context_.request_body_timeouts.Arm(body_deadline_);  // from this read to the next
  }
  if (!upstream_ready()) {
    pending_body_.append(data.data(), data.size());
    if (pending_body_.size() >= kMaxPendingBody) PauseRequestBody(true);
    return;
  }
  upstream_->encoder().EncodeData(data, end_stream);
  if (upstream_ == nullptr) return;
  if (end_stream) {
    OnRequestSent();
  } else if (upstream_->encoder().WriteBlocked()) {
    OnUpstreamWriteBlocked();
  }
}

void ProxyStream::DecodeTrailers(http::HeaderMap trailers) {
  if (phase_ == Phase::kDone) return;
  request_end_ = true;
  Touch();
  PauseRequestBody(false);
  retry_.OnTrailers();
  if (!held() && !RunRequestTrailers(trailers)) return;
  if (!mirror_copies_.empty()) FeedMirrors("", true);
  if (!upstream_ready()) {
    pending_trailers_ = std::move(trailers);
    return;
  }
  upstream_->encoder().EncodeTrailers(trailers);
  if (upstream_ != nullptr) OnRequestSent();
}

void ProxyStream::OnUpstreamWritable() {
  Touch();
  timers_.Stop(UpstreamTimers::Kind::kSend);
  if (!request_end_) PauseRequestBody(false);
}

void ProxyStream::DecodeResponseHeaders(http::ResponseHead head, bool end_stream) {
  if (retry_.has_policy() && head.status >= 400 && endpoint_ != nullptr) {
    // An answer the route retries on: dropped, with its connection, if another endpoint can
    // take the request.
    const config::EndpointAddress* answered = endpoint_;
    if (RetryElsewhere(RetryState::Failure::kStatus, head.status, answered)) {
      context_.balancer.OnFailure(*cluster_, *answered);
      return;
    }
  }
  if (route_ != nullptr && route_->error_pages.has_value() && !serving_error_page_ &&
      ServeErrorPage(head.status)) {
    return;
  }
  SetPhase(head.status == 101 ? Phase::kTunnel : Phase::kResponding);
  StopUpstreamTimers();
  RestartReadDeadline();
  Touch();
  if (endpoint_ != nullptr) {
    if (head.status >= 500) {
      context_.balancer.OnFailure(*cluster_, *endpoint_);
    } else {
      context_.balancer.OnSuccess(*endpoint_);
    }
  }
  if (!set_cookie_.empty()) head.headers.Add("Set-Cookie", set_cookie_);
  for (size_t i = filters_.size(); i > 0; --i) filters_[i - 1]->OnResponseHeaders(head, end_stream);
  status_ = head.status;
  if (record_ != nullptr) {
    record_->status = head.status;
    if (endpoint_ != nullptr) record_->upstream = endpoint_->Key();
  }
  if (!head.headers.Has("server")) head.headers.Add("Server", "gatehouse");
  encoder_.EncodeHeaders(head, end_stream);
  if (end_stream) Finish();
}

void ProxyStream::DecodeResponseData(absl::string_view data, bool end_stream) {
  Touch();
  response_body_bytes_ += data.size();
  if (record_ != nullptr) record_->response_body_bytes += data.size();
  for (size_t i = filters_.size(); i > 0; --i) filters_[i - 1]->OnResponseData(data, end_stream);
  encoder_.EncodeData(data, end_stream);
  if (end_stream) {
    Finish();
  } else if (phase_ != Phase::kDone && upstream_ != nullptr && encoder_.WriteBlocked()) {
    // (A downstream that failed while taking the bytes has already reset this stream.) The
    // upstream is not read meanwhile: its read deadline waits for the client.
    upstream_->encoder().PauseResponseBody(true);
    timers_.Stop(UpstreamTimers::Kind::kRead);
  } else {
    RestartReadDeadline();
  }
}

void ProxyStream::DecodeResponseTrailers(http::HeaderMap trailers) {
  for (size_t i = filters_.size(); i > 0; --i) filters_[i - 1]->OnResponseTrailers(trailers);
  encoder_.EncodeTrailers(trailers);
  Finish();
}

void ProxyStream::OnDownstreamWritable() {
  Touch();
  if (upstream_ != nullptr && response_started()) {
    upstream_->encoder().PauseResponseBody(false);
    RestartReadDeadline();
  }
}

void ProxyStream::OnUpstreamReset(absl::string_view reason) {
  if (phase_ == Phase::kDone) return;
  context_.stats.upstream_failures->Increment();
  LOG_DEBUG("upstream reset: ", reason);
  bool started = response_started();
  DropUpstream();
  if (!started && reused_ && request_end_ && body_received_ == 0 && retries_left_ > 0 &&
      endpoint_ != nullptr && IdempotentMethod(upstream_head_.method)) {
    // A kept-alive connection the upstream had closed: the request (head only) goes again,
    // whole, on another connection.
    const config::EndpointAddress& endpoint = *endpoint_;
    LeaveEndpoint();
    --retries_left_;
    context_.stats.upstream_retries->Increment();
    ConnectTo(endpoint);
    return;
  }
  if (endpoint_ != nullptr && !started) context_.balancer.OnFailure(*cluster_, *endpoint_);
  if (!started && RetryElsewhere(RetryState::Failure::kError, 0, endpoint_)) return;
  LeaveEndpoint();
  if (!started) {
    LocalReply(502, "upstream failed before answering");
    return;
  }
  SetPhase(Phase::kDone);
  encoder_.ResetStream(reason);
  owner_.OnStreamDone(*this);
}

void ProxyStream::OnDownstreamReset(absl::string_view reason) {
  AbandonMirrors();
  if (phase_ == Phase::kDone) return;
  SetPhase(Phase::kDone);
  DropUpstream();
  LeaveEndpoint();
  owner_.OnStreamDone(*this);
}

void ProxyStream::LocalReply(int status, absl::string_view message, http::HeaderMap headers) {
  // Whatever went upstream is abandoned: its connection may hold part of this request.
  AbandonMirrors();
  DropUpstream();
  StopUpstreamTimers();
  timers_.StopAll();
  LeaveEndpoint();
  if (response_started()) {
    // Too late for a status: the client must see the response incomplete.
    SetPhase(Phase::kDone);
    encoder_.ResetStream(message);
    owner_.OnStreamDone(*this);
    return;
  }
  context_.stats.LocalReplies(status)->Increment();
  http::ResponseHead head;
  head.status = status;
  head.headers = std::move(headers);
  head.headers.Add("Server", "gatehouse");
  // 204 (a CORS preflight's answer) has no body, and says nothing of one (RFC 9110 15.3.5).
  const bool bodyless = status == 204;
  std::string body;
  if (bodyless) {
    head.framing = http::BodyFraming::kNone;
  } else {
    head.headers.Add("Content-Type", "text/plain; charset=utf-8");
    body = absl::StrCat(status, " ", http::ReasonPhrase(status), ": ", message, "\n");
    head.framing = http::BodyFraming::kContentLength;
    head.content_length = body.size();
  }
  // The filters that saw the request see its answer.
  for (size_t i = request_filter_; i > 0; --i) filters_[i - 1]->OnResponseHeaders(head, bodyless);
  if (!bodyless) {
    for (size_t i = request_filter_; i > 0; --i) filters_[i - 1]->OnResponseData(body, true);
  }
  SetPhase(Phase::kDone);
  status_ = status;
  response_body_bytes_ = body.size();
  if (record_ != nullptr) {
    record_->status = status;
    record_->response_body_bytes = body.size();
  }
  encoder_.EncodeHeaders(head, bodyless);
  if (!bodyless) encoder_.EncodeData(body, true);
  owner_.OnStreamDone(*this);
}

void ProxyStream::Finish() {
  if (phase_ == Phase::kDone) return;
  bool reusable = phase_ == Phase::kResponding && request_end_;
  SetPhase(Phase::kDone);
  LeaveEndpoint();
  StopUpstreamTimers();
  timers_.StopAll();
  if (upstream_ != nullptr) {
    if (reusable) {
      DetachUpstream();
      context_.upstreams.Release(std::move(upstream_));
    } else {
      DropUpstream();
    }
  }
  owner_.OnStreamDone(*this);
}

void ProxyStream::StopUpstreamTimers() {
  timers_.Stop(UpstreamTimers::Kind::kConnect);
  timers_.Stop(UpstreamTimers::Kind::kRead);
  event::DeadlineQueue::Disarm(*this);
}

void ProxyStream::DetachUpstream() {
  upstream_->SetListener(nullptr);
  upstream_->SetDecoder(nullptr);
  // The budget is the client connection's, which may end before the upstream stream does.
  upstream_->SetBufferBudget(nullptr);
}

void ProxyStream::DropUpstream() {
  if (upstream_ == nullptr) return;
  DetachUpstream();
  context_.dispatcher.DeferDelete(std::move(upstream_));
}

}  // namespace gatehouse::dataplane::proxy
