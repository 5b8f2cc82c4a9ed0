#include "dataplane/proxy/proxy_stream.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"

namespace gatehouse::dataplane::proxy {
namespace {

constexpr size_t kMaxPendingBody = 1 << 20;

Counter* RequestCounter(const char* outcome) {
  return MetricsRegistry::Global().GetCounter("gatehouse_dataplane_local_replies_total",
                                              "Requests the data plane answered itself, by status.",
                                              {{"code", outcome}});
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
          "Upstream connections that failed to connect or broke mid-exchange.")) {
  for (int i = 0; i < http::kCloseReasonCount; ++i) {
    closed[i] = MetricsRegistry::Global().GetCounter(
        "gatehouse_dataplane_downstream_closed_total", "Client connections closed, by reason.",
        {{"reason", std::string(http::CloseReasonName(static_cast<http::CloseReason>(i)))}});
  }
}

std::string NewRequestId(absl::BitGen& random) {
  uint64_t high = absl::Uniform<uint64_t>(random);
  uint64_t low = absl::Uniform<uint64_t>(random);
  high = (high & ~uint64_t{0xf000}) | 0x4000;                           // version 4
  low = (low & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);         // RFC 9562 variant
  std::string hex = absl::StrFormat("%016x%016x", high, low);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

ProxyStream::ProxyStream(WorkerContext& context, Owner& owner, http::ResponseEncoder& encoder,
                         std::shared_ptr<const config::DataplaneConfig> config,
                         DownstreamInfo downstream)
    : context_(context),
      owner_(owner),
      encoder_(encoder),
      config_(std::move(config)),
      downstream_(std::move(downstream)),
      upstream_timer_(context.dispatcher, [this] { OnUpstreamTimeout(); }) {}

ProxyStream::~ProxyStream() {
  if (upstream_ != nullptr) DropUpstream();
}

void ProxyStream::DecodeHeaders(http::RequestHead head, bool end_stream) {
  context_.stats.requests->Increment();
  request_end_ = end_stream;
  if (config_ == nullptr) {
    LocalReply(503, "no configuration received yet");
    return;
  }
  router::MatchResult match = config_->http_routes().Match(head.authority, head.Path());
  if (match.cluster == nullptr) {
    context_.stats.local_404->Increment();
    LocalReply(404, "no route matches this host and path");
    return;
  }
  body_limit_ = match.route != nullptr ? match.route->max_request_body_bytes : 0;
  if (body_limit_ > 0 && head.framing == http::BodyFraming::kContentLength &&
      head.content_length > body_limit_) {
    // Known from the head: refused before a byte goes anywhere (and before 100 Continue).
    context_.stats.local_413->Increment();
    LocalReply(413, "request body larger than this route allows");
    return;
  }
  const config::ClusterConfig* cluster = config_->FindCluster(*match.cluster);
  const config::EndpointAddress* endpoint =
      cluster != nullptr ? context_.pools.PickEndpoint(*cluster) : nullptr;
  if (endpoint == nullptr) {
    context_.stats.local_503->Increment();
    LocalReply(503, "no ready endpoint for this route");
    return;
  }

  upstream_head_ = std::move(head);
  http::HeaderMap& headers = upstream_head_.headers;
  const std::string& client = encoder_.peer_ip();
  if (const std::string* forwarded = headers.Get("x-forwarded-for")) {
    headers.Set("X-Forwarded-For", absl::StrCat(*forwarded, ", ", client));
  } else {
    headers.Add("X-Forwarded-For", client);
  }
  // What the client asked for, as the upstream cannot see it: the proxy's own view replaces any
  // value the client sent; a request id the client (or a proxy in front) chose is kept.
  headers.Set("X-Forwarded-Proto", downstream_.scheme);
  headers.Set("X-Forwarded-Host", upstream_head_.authority);
  headers.Set("X-Forwarded-Port", absl::StrCat(downstream_.local_port));
  if (!headers.Has("x-request-id")) headers.Add("X-Request-Id", NewRequestId(context_.random));

  bool reused = false;
  absl::StatusOr<std::unique_ptr<upstream::UpstreamConnection>> connection =
      context_.pools.Acquire(*endpoint, &reused);
  if (!connection.ok()) {
    context_.stats.local_502->Increment();
    LocalReply(502, "upstream address is not usable");
    return;
  }
  upstream_ = *std::move(connection);
  upstream_->SetListener(this);
  if (reused) {
    context_.stats.upstream_reuses->Increment();
    StartUpstream();
  } else {
    context_.stats.upstream_connects->Increment();
    connecting_ = true;
    absl::Duration connect_timeout = cluster->connect_timeout_ms > 0
                                         ? absl::Milliseconds(cluster->connect_timeout_ms)
                                         : context_.settings.upstream_connect_timeout;
    upstream_timer_.Start(static_cast<uint64_t>(absl::ToInt64Milliseconds(connect_timeout)));
  }
}

void ProxyStream::OnUpstreamTimeout() {
  if (done_ || response_started_) return;
  context_.stats.upstream_failures->Increment();
  context_.stats.local_504->Increment();
  bool was_connecting = connecting_;
  DropUpstream();
  LocalReply(504, was_connecting ? "upstream connect timed out" : "upstream response timed out");
}

void ProxyStream::OnConnect(upstream::UpstreamConnection& connection, const absl::Status& status) {
  if (!status.ok()) {
    context_.stats.upstream_failures->Increment();
    LOG_DEBUG("upstream ", connection.endpoint_key(), " connect failed: ", status.message());
    DropUpstream();
    context_.stats.local_502->Increment();
    LocalReply(502, "upstream connect failed");
    return;
  }
  StartUpstream();
}

void ProxyStream::StartUpstream() {
  upstream_ready_ = true;
  connecting_ = false;
  upstream_timer_.Start(static_cast<uint64_t>(
      absl::ToInt64Milliseconds(context_.settings.upstream_response_timeout)));
  upstream_->codec().SetDecoder(this);
  bool end_now = request_end_ && pending_body_.empty();
  upstream_->codec().EncodeHeaders(upstream_head_, end_now);
  if (!end_now && (!pending_body_.empty() || request_end_)) {
    std::string body = std::move(pending_body_);
    pending_body_.clear();
    upstream_->codec().EncodeData(body, request_end_);
  }
  if (!request_end_) encoder_.PauseRequestBody(upstream_->codec().WriteBlocked());
}

void ProxyStream::DecodeData(absl::string_view data, bool end_stream) {
  if (done_) return;
  body_received_ += data.size();
  if (body_limit_ > 0 && body_received_ > body_limit_) {
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
  upstream_->codec().EncodeData(data, end_stream);
  if (!end_stream && upstream_ != nullptr && upstream_->codec().WriteBlocked()) {
    encoder_.PauseRequestBody(true);
  }
}

void ProxyStream::RejectBody() {
  // The upstream may have the head and part of the body: its connection can never be reused,
  // and dropping it ends the request there incomplete.
  DropUpstream();
  upstream_timer_.Stop();
  if (response_started_) {
    done_ = true;
    owner_.AbortDownstream("request body larger than this route allows");
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
  upstream_timer_.Stop();
  if (!head.headers.Has("server")) head.headers.Add("Server", "gatehouse");
  encoder_.EncodeHeaders(head, end_stream);
  if (end_stream) Finish();
}

void ProxyStream::DecodeResponseData(absl::string_view data, bool end_stream) {
  encoder_.EncodeData(data, end_stream);
  if (end_stream) {
    Finish();
  } else if (encoder_.WriteBlocked()) {
    upstream_->codec().PauseResponseBody(true);
  }
}

void ProxyStream::OnDownstreamWritable() {
  if (upstream_ != nullptr && response_started_) upstream_->codec().PauseResponseBody(false);
}

void ProxyStream::OnUpstreamReset(absl::string_view reason) {
  if (done_) return;
  context_.stats.upstream_failures->Increment();
  LOG_DEBUG("upstream reset: ", reason);
  DropUpstream();
  if (!response_started_) {
    context_.stats.local_502->Increment();
    LocalReply(502, "upstream failed before answering");
    return;
  }
  done_ = true;
  owner_.AbortDownstream(reason);
  owner_.OnStreamDone(*this);
}

void ProxyStream::OnDownstreamReset(absl::string_view reason) {
  if (done_) return;
  done_ = true;
  DropUpstream();
  owner_.OnStreamDone(*this);
}

void ProxyStream::LocalReply(int status, absl::string_view message) {
  http::ResponseHead head;
  head.status = status;
  head.headers.Add("Server", "gatehouse");
  head.headers.Add("Content-Type", "text/plain; charset=utf-8");
  std::string body = absl::StrCat(status, " ", http::ReasonPhrase(status), ": ", message, "\n");
  head.framing = http::BodyFraming::kContentLength;
  head.content_length = body.size();
  response_started_ = true;
  encoder_.EncodeHeaders(head, false);
  encoder_.EncodeData(body, true);
  Finish();
}

void ProxyStream::Finish() {
  if (done_) return;
  done_ = true;
  upstream_timer_.Stop();
  if (upstream_ != nullptr) {
    upstream_->SetListener(nullptr);
    upstream_->codec().SetDecoder(nullptr);
    if (upstream_ready_ && request_end_) {
      context_.pools.Release(std::move(upstream_));
    } else {
      DropUpstream();
    }
  }
  owner_.OnStreamDone(*this);
}

void ProxyStream::DropUpstream() {
  if (upstream_ == nullptr) return;
  upstream_->SetListener(nullptr);
  upstream_->codec().SetDecoder(nullptr);
  context_.dispatcher.DeferDelete(std::move(upstream_));
  upstream_ready_ = false;
}

}  // namespace gatehouse::dataplane::proxy
