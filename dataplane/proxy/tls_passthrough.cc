#include "dataplane/proxy/tls_passthrough.h"

#include <array>

#include "common/log.h"
#include "common/metrics.h"
#include "dataplane/tls/client_hello.h"

namespace gatehouse::dataplane::proxy {
namespace {

// gatehouse_dataplane_passthrough_connections_total, by Outcome.
Counter* OutcomeCounter(TlsPassthrough::Outcome outcome) {
  static const std::array<Counter*, 3> counters = [] {
    std::array<Counter*, 3> out;
    const char* names[] = {"tunneled", "terminated", "failed"};
    for (int i = 0; i < 3; ++i) {
      out[i] = MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_passthrough_connections_total",
          "TLS connections on a data plane with passthrough hosts, by what became of them: "
          "tunneled to a passthrough host's endpoint, terminated here, or failed (no ready "
          "endpoint, or the endpoint refused).",
          {{"outcome", names[i]}});
    }
    return out;
  }();
  return counters[static_cast<int>(outcome)];
}

}  // namespace

TlsPassthrough::TlsPassthrough(WorkerContext& context, Owner& owner,
                               std::unique_ptr<event::TcpConnection> client,
                               std::shared_ptr<const config::DataplaneConfig> config)
    : context_(context), owner_(owner), config_(std::move(config)), client_(std::move(client)) {}

TlsPassthrough::~TlsPassthrough() { context_.dispatcher.CancelCallAfterIo(this); }

void TlsPassthrough::Start() {
  client_->SetCallbacks(&client_side_);
  client_->StartReading();
  context_.request_header_timeouts.Arm(*this);
  if (!client_->input().empty()) {
    // Bytes read before (those after a PROXY header) are looked at after this turn's I/O, as a
    // read would have been.
    context_.dispatcher.CallAfterIo(this, [](void* self) {
      auto& passthrough = *static_cast<TlsPassthrough*>(self);
      if (passthrough.phase_ == Phase::kPeeking && !passthrough.client_->input().empty()) {
        passthrough.OnData(false, passthrough.client_->input());
      }
    });
  }
}

void TlsPassthrough::OnData(bool from_upstream, event::Buffer& input) {
  if (phase_ == Phase::kPeeking) {
    // Parsed again only once the record begun is in: a client sending a byte at a time costs
    // a parse per record, not per byte.
    if (input.size() < hello_needed_ && input.size() < tls::kMaxClientHelloBytes) return;
    tls::ClientHello hello = tls::ParseClientHello(input.view());
    if (hello.state == tls::ClientHello::State::kNeedMore &&
        input.size() < tls::kMaxClientHelloBytes) {
      hello_needed_ = hello.needed;
      return;
    }
    Decide(hello.state == tls::ClientHello::State::kComplete ? hello.server_name : "");
    return;
  }
  if (phase_ != Phase::kTunnel) return;
  event::TcpConnection& to = Other(from_upstream);
  to.WriteCopy(input.view());
  input.Consume(input.size());
  context_.tunnel_idle_timeouts.Arm(*this);
  if (to.WriteBlocked()) (from_upstream ? *upstream_ : *client_).StopReading();
}

void TlsPassthrough::Decide(absl::string_view server_name) {
  const std::string* cluster =
      server_name.empty() ? nullptr : config_->PassthroughCluster(server_name);
  if (cluster == nullptr) {
    HandOn();
    return;
  }
  client_->StopReading();  // until the endpoint takes the bytes read so far
  cluster_ = config_->FindCluster(*cluster);
  endpoint_ = cluster_ != nullptr
                  ? context_.balancer.Pick(*cluster_, v1::LoadBalancing::ROUND_ROBIN, "")
                  : nullptr;
  if (endpoint_ == nullptr) {
    LOG_DEBUG("passthrough to ", *cluster, ": no ready endpoint");
    Finish(Outcome::kFailed);
    return;
  }
  absl::StatusOr<std::unique_ptr<event::TcpConnection>> upstream = event::TcpConnection::Connect(
      context_.dispatcher, endpoint_->ip(), endpoint_->port(), &upstream_side_);
  if (!upstream.ok()) {
    Finish(Outcome::kFailed);
    return;
  }
  upstream_ = *std::move(upstream);
  phase_ = Phase::kConnecting;
  context_.request_header_timeouts.Arm(*this);  // the connect's own time, from now
}

void TlsPassthrough::OnConnect(const absl::Status& status) {
  if (phase_ != Phase::kConnecting) return;
  if (!status.ok()) {
    LOG_DEBUG("passthrough to ", endpoint_->Key(), ": ", status.message());
    context_.balancer.OnFailure(*cluster_, *endpoint_);
    Finish(Outcome::kFailed);
    return;
  }
  context_.balancer.OnSuccess(*endpoint_);
  phase_ = Phase::kTunnel;
  OutcomeCounter(Outcome::kTunneled)->Increment();
  event::Buffer& hello = client_->input();
  upstream_->WriteCopy(hello.view());
  hello.Consume(hello.size());
  upstream_->StartReading();
  client_->StartReading();
  context_.tunnel_idle_timeouts.Arm(*this);
}

void TlsPassthrough::OnWritable(bool upstream) {
  if (phase_ != Phase::kTunnel) return;
  context_.tunnel_idle_timeouts.Arm(*this);  // bytes moved
  // The side that drained takes more: the other side reads again.
  (upstream ? *client_ : *upstream_).StartReading();
}

void TlsPassthrough::OnRemoteClose(bool from_upstream, absl::string_view error) {
  // (Handing on stopped reading first: no close is heard then.)
  if (phase_ == Phase::kDone || phase_ == Phase::kHandingOn) return;
  if (!error.empty()) LOG_DEBUG("passthrough ", from_upstream ? "upstream" : "client", ": ", error);
  bool tunnel = phase_ == Phase::kTunnel;
  phase_ = Phase::kDone;
  event::DeadlineQueue::Disarm(*this);
  // The side that ended is only destroyed (with this); in a tunnel, the other sends what it
  // holds, then closes.
  std::unique_ptr<event::TcpConnection>& other = from_upstream ? client_ : upstream_;
  if (other == nullptr || !other->open() || !tunnel) {
    if (other != nullptr && other->open()) other->Close();
    owner_.OnPassthroughDone(*this, Owner::Slot::kFree);
    return;
  }
  other->CloseAfterWrites(
      event::TcpConnection::kDefaultLingerMs,
      {[](void* owner) { static_cast<Owner*>(owner)->OnPassthroughLingerEnd(); }, &owner_});
  owner_.OnPassthroughDone(*this, Owner::Slot::kLingers);
}

void TlsPassthrough::OnDeadline() {
  if (phase_ == Phase::kConnecting) {
    LOG_DEBUG("passthrough to ", endpoint_->Key(), ": connect timed out");
    context_.balancer.OnFailure(*cluster_, *endpoint_);
    Finish(Outcome::kFailed);
    return;
  }
  if (phase_ == Phase::kTunnel) LOG_DEBUG("passthrough tunnel idle: closing");
  Close();
}

void TlsPassthrough::HandOn() {
  phase_ = Phase::kHandingOn;
  event::DeadlineQueue::Disarm(*this);
  client_->StopReading();
  OutcomeCounter(Outcome::kTerminated)->Increment();
  context_.dispatcher.CallAfterIo(this, [](void* self) {
    auto& passthrough = *static_cast<TlsPassthrough*>(self);
    passthrough.phase_ = Phase::kDone;
    passthrough.owner_.TerminateTls(std::move(passthrough.client_));
    passthrough.owner_.OnPassthroughDone(passthrough, Owner::Slot::kHandedOn);
  });
}

void TlsPassthrough::Finish(Outcome outcome) {
  OutcomeCounter(outcome)->Increment();
  Close();
}

void TlsPassthrough::Close() {
  if (phase_ == Phase::kDone) return;
  // Closed before a handing on that waits for the turn's end (the worker stops): it never comes.
  if (phase_ == Phase::kHandingOn) context_.dispatcher.CancelCallAfterIo(this);
  phase_ = Phase::kDone;
  event::DeadlineQueue::Disarm(*this);
  if (client_ != nullptr && client_->open()) client_->Close();
  if (upstream_ != nullptr && upstream_->open()) upstream_->Close();
  owner_.OnPassthroughDone(*this, Owner::Slot::kFree);
}

}  // namespace gatehouse::dataplane::proxy
