#include "dataplane/proxy/proxy_stream.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace gatehouse::dataplane::proxy {
namespace {

constexpr size_t kMaxPendingBody = 1 << 20;

Counter* RequestCounter(const char* outcome) {
  return MetricsRegistry::Global().GetCounter("gatehouse_dataplane_local_replies_total",
                                              "Requests the data plane answered itself, by status.",
                                              {{"code", outcome}});
}

// RFC 9110 section 9.2.2: sending these twice has the effect of sending them once.
bool Idempotent(absl::string_view method) {
  for (absl::string_view safe : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    if (method == safe) return true;
  }
  return false;
}

}  // namespace

ProxyStats::ProxyStats()
    : requests(MetricsRegistry::Global().GetCounter("gatehouse_dataplane_requests_total",
                                                    "Requests received from clients.")),
      local_404(RequestCounter("404")),
      local_502(RequestCounter("502")),
      local_503(RequestCounter("503")),
      local_504(RequestCounter("504")),
      local_413(RequestCounter("413")),

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

std::string NewRequestId(absl::InsecureBitGen& random) {
  uint64_t high = absl::Uniform<uint64_t>(random);
  uint64_t low = absl::Uniform<uint64_t>(random);
  high = (high & ~uint64_t{0xf000}) | 0x4000;                    // version 4
  low = (low & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // RFC 9562 variant
  // 8-4-4-4-12 hex digits, written directly: this runs for nearly every request.
  static constexpr char kDigits[] = "0123456789abcdef";
  char hex[32];
  for (int i = 0; i < 16; ++i) {
    hex[i] = kDigits[(high >> (60 - 4 * i)) & 0xf];
    hex[16 + i] = kDigits[(low >> (60 - 4 * i)) & 0xf];
  }
  std::string id(36, '-');
  std::memcpy(&id[0], hex, 8);
  std::memcpy(&id[9], hex + 8, 4);
  std::memcpy(&id[14], hex + 12, 4);
  std::memcpy(&id[19], hex + 16, 4);
  std::memcpy(&id[24], hex + 20, 12);
  return id;
}

ProxyStream::ProxyStream(WorkerContext& context, Owner& owner, http::ResponseEncoder& encoder,
                         std::shared_ptr<const config::DataplaneConfig> config,
                         DownstreamInfo downstream)
    : context_(context),
      owner_(owner),
      encoder_(encoder),
      config_(std::move(config)),
      downstream_(std::move(downstream)) {}

ProxyStream::~ProxyStream() {
  if (upstream_ != nullptr) DropUpstream();
  LeaveEndpoint();
  if (record_ != nullptr) {
    record_->duration = absl::Now() - record_->start;
    record_->request_body_bytes = body_received_;
    context_.access_log->Write(*record_);
  }
}

void ProxyStream::DecodeHeaders(http::RequestHead head, bool end_stream) {
  context_.stats.requests->Increment();
  request_end_ = end_stream;
  if (context_.access_log != nullptr) {
    record_ = std::make_unique<AccessRecord>();
    record_->start = absl::Now();
    record_->worker = context_.worker_index;
    record_->client = encoder_.peer_ip();
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
  router::MatchResult match = config_->http_routes().Match(head.authority, head.Path());
  if (match.virtual_host != nullptr) {
    const router::VirtualHostEntry& vhost = *match.virtual_host;
    if (downstream_.scheme == "https") {
      hsts_ = &vhost.strict_transport_security;
    } else if (vhost.https_redirect &&
               !absl::StartsWith(head.Path(), "/.well-known/acme-challenge/")) {
      // The host has a certificate: the same URL over HTTPS, method and body kept (308).
      absl::string_view host = head.authority;
      if (size_t colon = host.rfind(':');
          colon != absl::string_view::npos && host.find(']', colon) == absl::string_view::npos) {
        host = host.substr(0, colon);  // the default HTTPS port, as ingress-nginx does
      }
      redirect_location_ = absl::StrCat("https://", host, head.target);
      LocalReply(308, "this host is served over HTTPS");
      return;
    }
  }
  if (match.cluster == nullptr) {
    context_.stats.local_404->Increment();
    LocalReply(404, "no route matches this host and path");
    return;
  }
  body_limit_ = match.route != nullptr ? match.route->max_request_body_bytes : 0;
  if (record_ != nullptr && match.route != nullptr) record_->route = match.route->source;
  if (body_limit_ > 0 && head.framing == http::BodyFraming::kContentLength &&
      head.content_length > body_limit_) {
    // Known from the head: refused before a byte goes anywhere (and before 100 Continue).
    context_.stats.local_413->Increment();
    LocalReply(413, "request body larger than this route allows");
    return;
  }
  cluster_ = config_->FindCluster(*match.cluster);
  if (match.route != nullptr) {
    const v1::LoadBalancing& balancing = match.route->load_balancing;
    policy_ = balancing.policy();
    if (policy_ == v1::LoadBalancing::CONSISTENT_HASH) hash_key_ = HashKey(head, balancing);
  }
  const config::EndpointAddress* endpoint =
      cluster_ != nullptr ? context_.balancer.Pick(*cluster_, policy_, hash_key_) : nullptr;
  if (endpoint == nullptr) {
    context_.stats.local_503->Increment();
    LocalReply(503, "no ready endpoint for this route");
    return;
  }

  upstream_head_ = std::move(head);
  AddForwardingHeaders(upstream_head_);
  ConnectTo(*endpoint);
}

void ProxyStream::AddForwardingHeaders(http::RequestHead& head) {
  // What the client asked for, as the upstream cannot see it: the proxy's own view replaces any
  // X-Forwarded-Proto, -Host and -Port the client sent; its address ends X-Forwarded-For; a
  // request id the client (or a proxy in front) chose is kept. One pass over the headers finds
  // all of it, dropping the replaced ones as it goes.
  std::vector<http::HeaderMap::Entry>& entries = head.headers.mutable_entries();
  const size_t none = entries.size();
  size_t forwarded_for = none;  // the first X-Forwarded-For
  size_t request_id = none;     // the first X-Request-Id
  size_t kept = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& name = entries[i].first;
    bool replaced = (name.size() == 16 && (absl::EqualsIgnoreCase(name, "x-forwarded-host") ||
                                           absl::EqualsIgnoreCase(name, "x-forwarded-port"))) ||
                    (name.size() == 17 && absl::EqualsIgnoreCase(name, "x-forwarded-proto"));
    if (replaced) continue;
    if (name.size() == 15 && absl::EqualsIgnoreCase(name, "x-forwarded-for")) {
      if (forwarded_for != none) {
        // Several make one list, in order, and one header: an upstream reading only the first
        // would otherwise take a client's own entry for the last hop.
        entries[forwarded_for].second.append(", ").append(entries[i].second);
        continue;
      }
      forwarded_for = kept;
    }
    if (request_id == none && name.size() == 12 && absl::EqualsIgnoreCase(name, "x-request-id")) {
      request_id = kept;
    }
    if (kept != i) entries[kept] = std::move(entries[i]);
    ++kept;
  }
  entries.resize(kept);

  const std::string client = encoder_.peer_ip();
  if (forwarded_for != none) {
    entries[forwarded_for].second.append(", ").append(client);
  } else {
    head.headers.Add("X-Forwarded-For", client);
  }
  head.headers.Add("X-Forwarded-Proto", downstream_.scheme);
  head.headers.Add("X-Forwarded-Host", head.authority);
  head.headers.Add("X-Forwarded-Port", absl::StrCat(downstream_.local_port));
  if (request_id != none) {
    if (record_ != nullptr) record_->request_id = entries[request_id].second;
  } else {
    std::string id = NewRequestId(context_.random);
    if (record_ != nullptr) record_->request_id = id;
    head.headers.Add("X-Request-Id", id);
  }
}

std::string ProxyStream::HashKey(const http::RequestHead& head,
                                 const v1::LoadBalancing& balancing) {
  switch (balancing.hash_key_case()) {
    case v1::LoadBalancing::kHeader: {
      const std::string* value = head.headers.Get(balancing.header());
      return value != nullptr ? *value : std::string();
    }
    case v1::LoadBalancing::kClientIp:
      return encoder_.peer_ip();
    case v1::LoadBalancing::kCookie: {
      for (const http::HeaderMap::Entry& entry : head.headers.entries()) {
        if (!absl::EqualsIgnoreCase(entry.first, "cookie")) continue;
        for (absl::string_view pair : absl::StrSplit(entry.second, ';')) {
          pair = absl::StripAsciiWhitespace(pair);
          if (absl::ConsumePrefix(&pair, balancing.cookie()) && absl::ConsumePrefix(&pair, "=") &&
              !pair.empty()) {
            return std::string(pair);
          }
        }
      }
      // No cookie yet: make one, pick by it, and have the client keep it.
      std::string value = absl::StrReplaceAll(NewRequestId(context_.random), {{"-", ""}});
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

void ProxyStream::ConnectTo(const config::EndpointAddress& endpoint) {
  // A retry after a reset: the first attempt's response deadline is not this one's.
  event::DeadlineQueue::Disarm(*this);
  endpoint_ = &endpoint;
  context_.balancer.OnRequestStart(endpoint);
  absl::StatusOr<std::unique_ptr<upstream::UpstreamStream>> connection =
      context_.pools.Acquire(*cluster_, endpoint, &reused_);
  if (!connection.ok()) {
    LeaveEndpoint();
    context_.stats.local_502->Increment();
    LocalReply(502, "upstream address is not usable");
    return;
  }
  upstream_ = *std::move(connection);
  upstream_->SetListener(this);
  if (reused_) {
    context_.stats.upstream_reuses->Increment();
    StartUpstream();
  } else {
    context_.stats.upstream_connects->Increment();
    connecting_ = true;
    absl::Duration connect_timeout = cluster_->connect_timeout_ms > 0
                                         ? absl::Milliseconds(cluster_->connect_timeout_ms)
                                         : context_.settings.upstream_connect_timeout;
    if (connect_timer_ == nullptr) {
      connect_timer_ =
          std::make_unique<event::Timer>(context_.dispatcher, [this] { OnUpstreamTimeout(); });
    }
    connect_timer_->Start(static_cast<uint64_t>(absl::ToInt64Milliseconds(connect_timeout)));
  }
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
  connecting_ = false;
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
  (status == 504 ? context_.stats.local_504 : context_.stats.local_502)->Increment();
  LocalReply(status, message);
}

void ProxyStream::OnUpstreamTimeout() {
  if (done_ || response_started_) return;
  if (connecting_) {
    OnConnectFailed(504, "upstream connect timed out");
    return;
  }
  context_.stats.upstream_failures->Increment();
  context_.stats.local_504->Increment();
  if (endpoint_ != nullptr) context_.balancer.OnFailure(*cluster_, *endpoint_);
  DropUpstream();
  LeaveEndpoint();
  LocalReply(504, "upstream response timed out");
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
  upstream_ready_ = true;
  connecting_ = false;
  if (connect_timer_ != nullptr) connect_timer_->Stop();
  context_.upstream_response_timeouts.Arm(*this);
  upstream_->SetDecoder(this);
  bool end_now = request_end_ && pending_body_.empty();
  // Each encoder call may end the exchange at once (an HTTP/2 upstream refusing the stream):
  // then the stream has already answered and let go of upstream_.
  upstream_->encoder().EncodeHeaders(upstream_head_, end_now);
  if (upstream_ == nullptr) return;
  if (!end_now && (!pending_body_.empty() || request_end_)) {
    std::string body = std::move(pending_body_);
    pending_body_.clear();
    bool trailers_follow = pending_trailers_.has_value();
    upstream_->encoder().EncodeData(body, request_end_ && !trailers_follow);
    if (upstream_ == nullptr) return;
    if (trailers_follow) upstream_->encoder().EncodeTrailers(*pending_trailers_);
    if (upstream_ == nullptr) return;
  }
  if (!request_end_) encoder_.PauseRequestBody(upstream_->encoder().WriteBlocked());
}

void ProxyStream::DecodeData(absl::string_view data, bool end_stream) {
  if (done_) return;
  body_received_ += data.size();
  if (body_limit_ > 0 && body_received_ > body_limit_ && !tunnel_) {
    RejectBody();
    return;
  }
  request_end_ = end_stream;
  // The whole body is in: reading may go on (it only buffers up to the next request).
  if (end_stream) encoder_.PauseRequestBody(false);
  if (!upstream_ready_) {
    pending_body_.append(data.data(), data.size());
    if (pending_body_.size() >= kMaxPendingBody) encoder_.PauseRequestBody(true);
    return;
  }
  upstream_->encoder().EncodeData(data, end_stream);
  if (!end_stream && upstream_ != nullptr && upstream_->encoder().WriteBlocked()) {
    encoder_.PauseRequestBody(true);
  }
}

void ProxyStream::DecodeTrailers(http::HeaderMap trailers) {
  if (done_) return;
  request_end_ = true;
  encoder_.PauseRequestBody(false);
  if (!upstream_ready_) {
    pending_trailers_ = std::move(trailers);
    return;
  }
  upstream_->encoder().EncodeTrailers(trailers);
}

void ProxyStream::DecodeResponseTrailers(http::HeaderMap trailers) {
  encoder_.EncodeTrailers(trailers);
  Finish();
}

void ProxyStream::RejectBody() {
  // The upstream may have the head and part of the body: its connection can never be reused,
  // and dropping it ends the request there incomplete.
  DropUpstream();
  StopUpstreamTimers();
  if (response_started_) {
    done_ = true;
    LeaveEndpoint();
    encoder_.ResetStream("request body larger than this route allows");
    owner_.OnStreamDone(*this);
    return;
  }
  context_.stats.local_413->Increment();
  LocalReply(413, "request body larger than this route allows");
}

void ProxyStream::OnUpstreamWritable() {
  if (!request_end_) encoder_.PauseRequestBody(false);
}

void ProxyStream::DecodeResponseHeaders(http::ResponseHead head, bool end_stream) {
  response_started_ = true;
  StopUpstreamTimers();
  if (endpoint_ != nullptr) {
    if (head.status >= 500) {
      context_.balancer.OnFailure(*cluster_, *endpoint_);
    } else {
      context_.balancer.OnSuccess(*endpoint_);
    }
  }
  if (!set_cookie_.empty()) head.headers.Add("Set-Cookie", set_cookie_);
  if (hsts_ != nullptr && !hsts_->empty()) head.headers.Set("Strict-Transport-Security", *hsts_);
  if (record_ != nullptr) {
    record_->status = head.status;
    if (endpoint_ != nullptr) record_->upstream = endpoint_->Key();
  }
  tunnel_ = head.status == 101;
  if (!head.headers.Has("server")) head.headers.Add("Server", "gatehouse");
  encoder_.EncodeHeaders(head, end_stream);
  if (end_stream) Finish();
}

void ProxyStream::DecodeResponseData(absl::string_view data, bool end_stream) {
  if (record_ != nullptr) record_->response_body_bytes += data.size();
  encoder_.EncodeData(data, end_stream);
  if (end_stream) {
    Finish();
  } else if (!done_ && upstream_ != nullptr && encoder_.WriteBlocked()) {
    // (A downstream that failed while taking the bytes has already reset this stream.)
    upstream_->encoder().PauseResponseBody(true);
  }
}

void ProxyStream::OnDownstreamWritable() {
  if (upstream_ != nullptr && response_started_) upstream_->encoder().PauseResponseBody(false);
}

void ProxyStream::OnUpstreamReset(absl::string_view reason) {
  if (done_) return;
  context_.stats.upstream_failures->Increment();
  LOG_DEBUG("upstream reset: ", reason);
  DropUpstream();
  if (!response_started_ && reused_ && request_end_ && body_received_ == 0 && retries_left_ > 0 &&
      endpoint_ != nullptr && Idempotent(upstream_head_.method)) {
    // A kept-alive connection the upstream had closed: the request (head only) goes again,
    // whole, on another connection.
    const config::EndpointAddress& endpoint = *endpoint_;
    LeaveEndpoint();
    --retries_left_;
    context_.stats.upstream_retries->Increment();
    ConnectTo(endpoint);
    return;
  }
  if (endpoint_ != nullptr && !response_started_) {
    context_.balancer.OnFailure(*cluster_, *endpoint_);
  }
  LeaveEndpoint();
  if (!response_started_) {
    context_.stats.local_502->Increment();
    LocalReply(502, "upstream failed before answering");
    return;
  }
  done_ = true;
  encoder_.ResetStream(reason);
  owner_.OnStreamDone(*this);
}

void ProxyStream::OnDownstreamReset(absl::string_view reason) {
  if (done_) return;
  done_ = true;
  DropUpstream();
  LeaveEndpoint();
  owner_.OnStreamDone(*this);
}

void ProxyStream::LocalReply(int status, absl::string_view message) {
  http::ResponseHead head;
  head.status = status;
  head.headers.Add("Server", "gatehouse");
  head.headers.Add("Content-Type", "text/plain; charset=utf-8");
  if (!redirect_location_.empty()) head.headers.Add("Location", redirect_location_);
  if (hsts_ != nullptr && !hsts_->empty()) head.headers.Add("Strict-Transport-Security", *hsts_);
  std::string body = absl::StrCat(status, " ", http::ReasonPhrase(status), ": ", message, "\n");
  head.framing = http::BodyFraming::kContentLength;
  head.content_length = body.size();
  response_started_ = true;
  if (record_ != nullptr) {
    record_->status = status;
    record_->response_body_bytes = body.size();
  }
  encoder_.EncodeHeaders(head, false);
  encoder_.EncodeData(body, true);
  Finish();
}

void ProxyStream::Finish() {
  if (done_) return;
  done_ = true;
  LeaveEndpoint();
  StopUpstreamTimers();
  if (upstream_ != nullptr) {
    upstream_->SetListener(nullptr);
    upstream_->SetDecoder(nullptr);
    if (upstream_ready_ && request_end_ && !tunnel_) {
      context_.pools.Release(std::move(upstream_));
    } else {
      DropUpstream();
    }
  }
  owner_.OnStreamDone(*this);
}

void ProxyStream::StopUpstreamTimers() {
  if (connect_timer_ != nullptr) connect_timer_->Stop();
  event::DeadlineQueue::Disarm(*this);
}

void ProxyStream::DropUpstream() {
  if (upstream_ == nullptr) return;
  upstream_->SetListener(nullptr);
  upstream_->SetDecoder(nullptr);
  context_.dispatcher.DeferDelete(std::move(upstream_));
  upstream_ready_ = false;
}

}  // namespace gatehouse::dataplane::proxy
