#include "dataplane/proxy/side_requests.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/event/timer.h"

namespace gatehouse::dataplane::proxy {

// One side request: its own upstream exchange; the answer's head goes to the asker, the body is
// read and dropped.
class SideRequests::Exchange : public event::DeferredDeletable,
                               public http::ResponseDecoder,
                               private upstream::UpstreamStream::Listener {
 public:
  Exchange(SideRequests& owner, Id id, std::shared_ptr<const config::DataplaneConfig> config,
           const config::ClusterConfig& cluster, http::RequestHead head, uint64_t timeout_ms)
      : owner_(owner),
        id_(id),
        config_(std::move(config)),
        cluster_(cluster),
        head_(std::move(head)),
        timeout_ms_(timeout_ms),
        timer_(owner.dispatcher_, [this] { Fail("no answer within the timeout"); }) {}

  Id id() const { return id_; }
  bool done() const { return done_; }
  const std::string& cluster_name() const { return cluster_.name; }

  // Picks an endpoint and connects, or reuses a pooled connection; why not otherwise.
  std::string Begin() {
    const config::EndpointAddress* endpoint =
        owner_.balancer_.Pick(cluster_, v1::LoadBalancing::ROUND_ROBIN, "");
    if (endpoint == nullptr) return "no ready endpoint";
    bool reused = false;
    absl::StatusOr<std::unique_ptr<upstream::UpstreamStream>> stream =
        owner_.upstreams_.Acquire(cluster_, *endpoint, &reused);
    if (!stream.ok()) return std::string(stream.status().message());
    endpoint_ = endpoint;
    owner_.balancer_.OnRequestStart(*endpoint_);
    upstream_ = *std::move(stream);
    upstream_->SetListener(this);
    timer_.Start(timeout_ms_);
    if (reused) Send();
    return "";
  }

  // The asker went away: the answer, if it comes, is dropped with the connection.
  void End() {
    if (done_) return;
    done_ = true;
    timer_.Stop();
    DropUpstream();
    LeaveEndpoint();
    owner_.Finish(*this);
  }

  // http::ResponseDecoder
  void DecodeResponseHeaders(http::ResponseHead head, bool end_stream) override {
    if (answered_) return;
    answered_ = true;
    if (head.status >= 500) {
      owner_.balancer_.OnFailure(cluster_, *endpoint_);
    } else {
      owner_.balancer_.OnSuccess(*endpoint_);
    }
    filters::SideResponse response;
    response.ok = true;
    response.status = head.status;
    response.headers = std::move(head.headers);
    owner_.Answer(id_, std::move(response));
    // The body, if any, is read within a short while, or the connection goes: a drained
    // exchange holds no asker, and must not hold its slot long.
    timer_.Start(std::min<uint64_t>(timeout_ms_, kDrainMs));
    if (end_stream) Whole();
  }
  void DecodeResponseData(absl::string_view data, bool end_stream) override {
    body_bytes_ += data.size();
    if (body_bytes_ > kMaxBody) {
      End();
      return;
    }
    if (end_stream) Whole();
  }
  void DecodeResponseTrailers(http::HeaderMap) override { Whole(); }
  void OnUpstreamWritable() override {}
  void OnUpstreamReset(absl::string_view reason) override {
    if (!answered_) owner_.balancer_.OnFailure(cluster_, *endpoint_);
    Fail(absl::StrCat("the connection failed: ", reason));
  }

 private:
  // upstream::UpstreamStream::Listener
  void OnConnect(upstream::UpstreamStream& stream, const absl::Status& status) override {
    if (!status.ok()) {
      owner_.balancer_.OnFailure(cluster_, *endpoint_);
      Fail(absl::StrCat("cannot connect: ", status.message()));
      return;
    }
    Send();
  }

  void Send() {
    upstream_->SetDecoder(this);
    upstream_->encoder().EncodeHeaders(head_, true);
  }

  // No answer: the asker hears why (once), and the exchange ends.
  void Fail(absl::string_view why) {
    if (done_) return;
    if (!answered_) {
      answered_ = true;
      filters::SideResponse response;
      response.error = std::string(why);
      owner_.failures_->Increment();
      owner_.Answer(id_, std::move(response));
    }
    End();
  }

  // The exchange is whole: its connection may serve another request.
  void Whole() {
    if (done_) return;
    if (upstream_ != nullptr) {
      LeaveEndpoint();
      Detach();
      owner_.upstreams_.Release(std::move(upstream_));
    }
    End();
  }

  void LeaveEndpoint() {
    if (endpoint_ == nullptr) return;
    owner_.balancer_.OnRequestEnd(*endpoint_);
    endpoint_ = nullptr;
  }
  void Detach() {
    upstream_->SetListener(nullptr);
    upstream_->SetDecoder(nullptr);
  }
  void DropUpstream() {
    if (upstream_ == nullptr) return;
    Detach();
    owner_.dispatcher_.DeferDelete(std::move(upstream_));
  }

  SideRequests& owner_;
  const Id id_;
  std::shared_ptr<const config::DataplaneConfig> config_;  // holds cluster_ and endpoint_
  const config::ClusterConfig& cluster_;
  const config::EndpointAddress* endpoint_ = nullptr;
  http::RequestHead head_;
  const uint64_t timeout_ms_;
  event::Timer timer_;
  std::unique_ptr<upstream::UpstreamStream> upstream_;
  uint64_t body_bytes_ = 0;
  bool answered_ = false;  // the asker has been (or is being) told
  bool done_ = false;
};

SideRequests::SideRequests(event::Dispatcher& dispatcher, upstream::UpstreamConnector& upstreams,
                           upstream::LoadBalancer& balancer)
    : dispatcher_(dispatcher),
      upstreams_(upstreams),
      balancer_(balancer),
      failures_(MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_side_request_failures_total",
          "Requests of the data plane's own (external auth) that got no answer.")) {}

SideRequests::~SideRequests() { Clear(); }

SideRequests::Id SideRequests::Send(std::shared_ptr<const config::DataplaneConfig> config,
                                    absl::string_view cluster_name, http::RequestHead head,
                                    uint64_t timeout_ms, Callback done) {
  Id id = next_id_++;
  waiting_.emplace(id, std::move(done));
  const config::ClusterConfig* cluster =
      config == nullptr ? nullptr : config->FindCluster(cluster_name);
  auto fail = [&](std::string why) {
    filters::SideResponse response;
    response.error = std::move(why);
    failures_->Increment();
    Answer(id, std::move(response));
    return id;
  };
  if (cluster == nullptr) return fail("its cluster is not in the config");
  if (active_.size() >= kMaxActive) return fail("too many side requests in flight");
  if (shares_.Full(cluster->name)) {
    return fail("too many side requests in flight to its cluster");
  }
  auto exchange = std::make_unique<Exchange>(*this, id, std::move(config), *cluster,
                                             std::move(head), timeout_ms);
  Exchange& started = *exchange;
  active_.emplace(id, std::move(exchange));
  shares_.Add(cluster->name);
  if (std::string why = started.Begin(); !why.empty()) {
    started.End();
    return fail(why);
  }
  return id;
}

void SideRequests::Cancel(Id id) {
  waiting_.erase(id);
  auto it = active_.find(id);
  if (it != active_.end()) it->second->End();
}

void SideRequests::Clear() {
  *alive_ = false;
  waiting_.clear();
  std::vector<Exchange*> all;
  for (auto& [id, exchange] : active_) all.push_back(exchange.get());
  for (Exchange* exchange : all) exchange->End();
}

void SideRequests::Answer(Id id, filters::SideResponse response) {
  dispatcher_.Post([this, alive = alive_, id, response = std::move(response)]() mutable {
    if (!*alive) return;
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return;
    Callback done = std::move(it->second);
    waiting_.erase(it);
    done(std::move(response));
  });
}

void SideRequests::Finish(Exchange& exchange) {
  auto it = active_.find(exchange.id());
  if (it == active_.end()) return;
  std::unique_ptr<Exchange> owned = std::move(it->second);
  active_.erase(it);
  shares_.Remove(owned->cluster_name());
  dispatcher_.DeferDelete(std::move(owned));
}

}  // namespace gatehouse::dataplane::proxy
