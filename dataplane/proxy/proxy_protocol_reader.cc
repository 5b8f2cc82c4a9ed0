#include "dataplane/proxy/proxy_protocol_reader.h"

#include <array>

#include "common/log.h"
#include "common/metrics.h"
#include "dataplane/transport/proxy_protocol.h"

namespace gatehouse::dataplane::proxy {
namespace {

enum class Outcome { kRead, kRefused, kTimedOut };

// gatehouse_dataplane_proxy_protocol_headers_total, by Outcome.
Counter* OutcomeCounter(Outcome outcome) {
  static const std::array<Counter*, 3> counters = [] {
    std::array<Counter*, 3> out;
    const char* names[] = {"read", "refused", "timed_out"};
    for (int i = 0; i < 3; ++i) {
      out[i] = MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_proxy_protocol_headers_total",
          "Connections accepted with --use-proxy-protocol, by their PROXY header: read, refused "
          "(missing or malformed: the connection was closed), or timed out.",
          {{"outcome", names[i]}});
    }
    return out;
  }();
  return counters[static_cast<int>(outcome)];
}

}  // namespace

ProxyProtocolReader::ProxyProtocolReader(WorkerContext& context, Owner& owner,
                                         std::unique_ptr<event::TcpConnection> client, bool tls)
    : context_(context), owner_(owner), client_(std::move(client)), tls_(tls) {}

ProxyProtocolReader::~ProxyProtocolReader() { context_.dispatcher.CancelCallAfterIo(this); }

void ProxyProtocolReader::Start() {
  client_->SetCallbacks(this);
  client_->StartReading();
  context_.request_header_timeouts.Arm(*this);
}

void ProxyProtocolReader::OnData(event::Buffer& input) {
  if (phase_ != Phase::kReading || input.size() < needed_) return;
  transport::ProxyHeader header = transport::ParseProxyHeader(input.view());
  switch (header.state) {
    case transport::ProxyHeader::State::kNeedMore:
      needed_ = header.needed;
      return;
    case transport::ProxyHeader::State::kInvalid:
      Refuse(header.error);
      return;
    case transport::ProxyHeader::State::kComplete:
      break;
  }
  input.Consume(header.length);
  client_->MarkProxyProtocol();
  if (header.has_address) {
    client_->SetProxiedPeer(header.family, header.source.data(), header.destination_port);
  }
  OutcomeCounter(Outcome::kRead)->Increment();
  phase_ = Phase::kHandingOn;
  event::DeadlineQueue::Disarm(*this);
  client_->StopReading();
  // Handed on after this turn's I/O, not from inside the connection's own callback.
  context_.dispatcher.CallAfterIo(this, [](void* self) {
    auto& reader = *static_cast<ProxyProtocolReader*>(self);
    reader.phase_ = Phase::kDone;
    reader.owner_.OnProxyHeaderRead(std::move(reader.client_), reader.tls_);
    reader.owner_.OnProxyReaderDone(reader, true);
  });
}

void ProxyProtocolReader::OnRemoteClose(absl::string_view error) {
  if (phase_ != Phase::kReading) return;
  phase_ = Phase::kDone;
  event::DeadlineQueue::Disarm(*this);
  owner_.OnProxyReaderDone(*this, false);
}

void ProxyProtocolReader::OnDeadline() {
  if (phase_ != Phase::kReading) return;
  OutcomeCounter(Outcome::kTimedOut)->Increment();
  LOG_DEBUG("no PROXY protocol header from ", client_->peer_ip(), " in time: closing");
  Close();
}

void ProxyProtocolReader::Refuse(absl::string_view why) {
  OutcomeCounter(Outcome::kRefused)->Increment();
  LOG_DEBUG("refusing a connection from ", client_->peer_ip(), ": ", why,
            " (--use-proxy-protocol)");
  Close();
}

void ProxyProtocolReader::Close() {
  if (phase_ == Phase::kDone) return;
  if (phase_ == Phase::kHandingOn) context_.dispatcher.CancelCallAfterIo(this);
  phase_ = Phase::kDone;
  event::DeadlineQueue::Disarm(*this);
  if (client_ != nullptr && client_->open()) client_->Close();
  owner_.OnProxyReaderDone(*this, false);
}

}  // namespace gatehouse::dataplane::proxy
