#include "dataplane/proxy/mirrors.h"

#include <algorithm>
#include <string>

#include "common/log.h"

namespace gatehouse::dataplane::proxy {
namespace {

constexpr size_t kFlushPiece = 64 << 10;

}  // namespace

// One copy: its own upstream exchange, fed the copied request's body, its answer read and
// dropped.
class Mirrors::Exchange : public event::DeferredDeletable,
                          public http::ResponseDecoder,
                          private upstream::UpstreamStream::Listener,
                          private event::DeadlineQueue::Entry {
 public:
  Exchange(Mirrors& owner, Id id, std::shared_ptr<const config::DataplaneConfig> config,
           const config::ClusterConfig& cluster, http::RequestHead head)
      : owner_(owner),
        id_(id),
        config_(std::move(config)),
        cluster_(cluster),
        head_(std::move(head)) {}

  // Everything it holds of its owner's went back when it ended: it may be freed after its owner.
  ~Exchange() override = default;

  Id id() const { return id_; }
  bool done() const { return done_; }
  const std::string& cluster_name() const { return cluster_.name; }

  // Picks an endpoint and connects, or reuses a pooled connection; false when neither can be.
  bool Begin(absl::string_view body, bool complete) {
    const config::EndpointAddress* endpoint =
        owner_.balancer_.Pick(cluster_, v1::LoadBalancing::ROUND_ROBIN, "");
    if (endpoint == nullptr) return false;
    bool reused = false;
    absl::StatusOr<std::unique_ptr<upstream::UpstreamStream>> stream =
        owner_.upstreams_.Acquire(cluster_, *endpoint, &reused);
    if (!stream.ok()) return false;
    endpoint_ = endpoint;
    owner_.balancer_.OnRequestStart(*endpoint_);
    upstream_ = *std::move(stream);
    upstream_->SetListener(this);
    upstream_->SetBufferBudget(&owner_.budget_);
    Hold(body);
    request_end_ = complete;
    owner_.idle_timeouts_.Arm(*this);
    // A pooled connection is ready now (the send may end the copy at once: Start sees it).
    if (reused) Send();
    return true;
  }

  void Feed(absl::string_view data, bool end_stream) {
    if (done_) return;
    request_end_ = end_stream;
    owner_.idle_timeouts_.Arm(*this);
    if (!sending_ || !pending_.empty() || upstream_->encoder().WriteBlocked()) {
      Hold(data);
      if (pending_.size() > kMaxHeld || owner_.budget_.exhausted()) {
        End(Outcome::kFellBehind);
      } else if (sending_ && !upstream_->encoder().WriteBlocked()) {
        Flush();
      }
      return;
    }
    flushed_end_ = end_stream;
    upstream_->encoder().EncodeData(data, end_stream);
  }

  void Abandon() {
    if (!done_) End(Outcome::kAbandoned);
  }

  // http::ResponseDecoder: the answer is read, and dropped.
  // Response bytes never extend the copy's deadline: once its request is whole, it has the
  // upstream response timeout to be answered, however its upstream trickles.
  void DecodeResponseHeaders(http::ResponseHead head, bool end_stream) override {
    answer_started_ = true;
    if (endpoint_ != nullptr) {
      if (head.status >= 500) {
        owner_.balancer_.OnFailure(cluster_, *endpoint_);
      } else {
        owner_.balancer_.OnSuccess(*endpoint_);
      }
    }
    if (end_stream) Answered();
  }
  void DecodeResponseData(absl::string_view, bool end_stream) override {
    if (end_stream) Answered();
  }
  void DecodeResponseTrailers(http::HeaderMap) override { Answered(); }
  void OnUpstreamWritable() override {
    owner_.idle_timeouts_.Arm(*this);
    Flush();
  }
  void OnUpstreamReset(absl::string_view reason) override {
    LOG_DEBUG("request mirror to ", upstream_->endpoint_key(), " reset: ", reason);
    if (endpoint_ != nullptr && !answer_started_) owner_.balancer_.OnFailure(cluster_, *endpoint_);
    End(Outcome::kFailed);
  }

  void End(Outcome outcome) {
    if (done_) return;
    done_ = true;
    event::DeadlineQueue::Disarm(*this);
    DropUpstream();
    LeaveEndpoint();
    owner_.budget_.Release(pending_.size());
    pending_.clear();
    owner_.Finish(*this, outcome);
  }

 private:
  // upstream::UpstreamStream::Listener
  void OnConnect(upstream::UpstreamStream& stream, const absl::Status& status) override {
    if (!status.ok()) {
      LOG_DEBUG("request mirror to ", stream.endpoint_key(), ": ", status.message());
      if (endpoint_ != nullptr) owner_.balancer_.OnFailure(cluster_, *endpoint_);
      End(Outcome::kFailed);
      return;
    }
    Send();
  }
  // event::DeadlineQueue::Entry
  void OnDeadline() override { End(Outcome::kTimedOut); }

  void Send() {
    sending_ = true;
    upstream_->SetDecoder(this);
    bool end_now = request_end_ && pending_.empty();
    flushed_end_ = end_now;
    upstream_->encoder().EncodeHeaders(head_, end_now);
    if (done_ || end_now) return;
    Flush();
  }

  // Sends what the copy holds, as far as the upstream takes it, in pieces: what an HTTP/2 stream
  // buffers is charged to no budget, so it gets no more than a piece past its watermark.
  void Flush() {
    while (!done_ && sending_ && !flushed_end_ && (!pending_.empty() || request_end_)) {
      if (!pending_.empty() && upstream_->encoder().WriteBlocked()) return;
      size_t size = std::min(pending_.size(), kFlushPiece);
      std::string piece = pending_.substr(0, size);
      pending_.erase(0, size);
      owner_.budget_.Release(size);
      flushed_end_ = request_end_ && pending_.empty();
      upstream_->encoder().EncodeData(piece, flushed_end_);
    }
  }

  void Hold(absl::string_view data) {
    pending_.append(data.data(), data.size());
    owner_.budget_.Charge(data.size());
  }

  void Answered() {
    if (done_) return;
    if (flushed_end_ && upstream_ != nullptr) {
      // The exchange is whole: its connection may serve another request.
      LeaveEndpoint();
      Detach();
      owner_.upstreams_.Release(std::move(upstream_));
    }
    End(Outcome::kAnswered);
  }

  void LeaveEndpoint() {
    if (endpoint_ == nullptr) return;
    owner_.balancer_.OnRequestEnd(*endpoint_);
    endpoint_ = nullptr;
  }
  void Detach() {
    upstream_->SetListener(nullptr);
    upstream_->SetDecoder(nullptr);
    upstream_->SetBufferBudget(nullptr);
  }
  void DropUpstream() {
    if (upstream_ == nullptr) return;
    Detach();
    owner_.dispatcher_.DeferDelete(std::move(upstream_));
  }

  Mirrors& owner_;
  const Id id_;
  std::shared_ptr<const config::DataplaneConfig> config_;  // holds cluster_ and endpoint_
  const config::ClusterConfig& cluster_;
  const config::EndpointAddress* endpoint_ = nullptr;
  http::RequestHead head_;
  std::unique_ptr<upstream::UpstreamStream> upstream_;
  std::string pending_;  // body the upstream has not taken yet, charged to the budget
  bool request_end_ = false;
  bool sending_ = false;      // the head went up
  bool flushed_end_ = false;  // the whole request went up
  bool answer_started_ = false;
  bool done_ = false;
};

namespace {

constexpr const char* kOutcomeNames[] = {"answered",    "failed",    "timed_out",
                                         "fell_behind", "abandoned", "not_sent"};
static_assert(sizeof(kOutcomeNames) / sizeof(kOutcomeNames[0]) == Mirrors::kOutcomeCount);

}  // namespace

Mirrors::Mirrors(event::Dispatcher& dispatcher, upstream::UpstreamConnector& upstreams,
                 upstream::LoadBalancer& balancer, const ProxySettings& settings)
    : dispatcher_(dispatcher),
      upstreams_(upstreams),
      balancer_(balancer),
      settings_(settings),
      budget_(dispatcher, kMaxWorkerHeld),
      idle_timeouts_(dispatcher, settings.upstream_response_timeout) {
  for (int i = 0; i < kOutcomeCount; ++i) {
    outcomes_[i] = MetricsRegistry::Global().GetCounter(
        "gatehouse_dataplane_mirror_requests_total",
        "Copies of requests sent to request mirrors, by how they ended.",
        {{"outcome", kOutcomeNames[i]}});
  }
}

Mirrors::~Mirrors() { Clear(); }

Mirrors::Id Mirrors::Start(std::shared_ptr<const config::DataplaneConfig> config,
                           const config::ClusterConfig& cluster, http::RequestHead head,
                           absl::string_view body, bool complete) {
  if (active_.size() >= kMaxActive || shares_.Full(cluster.name)) {
    outcomes_[static_cast<int>(Outcome::kNotSent)]->Increment();
    return 0;
  }
  Id id = next_id_++;
  auto exchange =
      std::make_unique<Exchange>(*this, id, std::move(config), cluster, std::move(head));
  if (!exchange->Begin(body, complete)) {
    outcomes_[static_cast<int>(Outcome::kNotSent)]->Increment();
    dispatcher_.DeferDelete(std::move(exchange));
    return 0;
  }
  bool ended = exchange->done();  // its reused connection failed at once (counted)
  if (ended) {
    dispatcher_.DeferDelete(std::move(exchange));
    return 0;
  }
  active_.emplace(id, std::move(exchange));
  shares_.Add(cluster.name);
  return complete ? 0 : id;
}

void Mirrors::Feed(Id id, absl::string_view data, bool end_stream) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  it->second->Feed(data, end_stream);
}

void Mirrors::Abandon(Id id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  it->second->Abandon();
}

void Mirrors::Clear() {
  std::vector<Exchange*> all;
  for (auto& [id, exchange] : active_) all.push_back(exchange.get());
  for (Exchange* exchange : all) exchange->End(Outcome::kAbandoned);
  idle_timeouts_.Close();
}

void Mirrors::Finish(Exchange& exchange, Outcome outcome) {
  outcomes_[static_cast<int>(outcome)]->Increment();
  auto it = active_.find(exchange.id());
  if (it == active_.end()) return;
  std::unique_ptr<Exchange> owned = std::move(it->second);
  active_.erase(it);
  shares_.Remove(owned->cluster_name());
  dispatcher_.DeferDelete(std::move(owned));
}

}  // namespace gatehouse::dataplane::proxy
