#include "dataplane/server/worker.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace gatehouse::dataplane::server {

using proxy::AccessLog;
using proxy::ConnectionLimit;
using proxy::DownstreamConnection;
using proxy::ProxySettings;

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(int index, const Listeners& listeners,
                                                       const ProxySettings& settings,
                                                       ConnectionLimit* limit,
                                                       AccessLog* access_log) {
  std::unique_ptr<Worker> worker(new Worker(index, settings, limit, access_log));
  worker->default_tls_ = listeners.default_tls;
  for (bool tls : {false, true}) {
    int fd = tls ? listeners.https_fd : listeners.http_fd;
    if (fd < 0) continue;
    absl::StatusOr<std::unique_ptr<event::TcpListener>> listener = event::TcpListener::Create(
        worker->dispatcher_, fd,
        [raw = worker.get(), tls](std::unique_ptr<event::TcpConnection> tcp) {
          raw->OnAccept(std::move(tcp), tls);
        });
    if (!listener.ok()) {
      close(fd);
      return listener.status();
    }
    (tls ? worker->https_listener_ : worker->listener_) = *std::move(listener);
  }
  return worker;
}

Worker::Worker(int index, const ProxySettings& settings, ConnectionLimit* limit,
               AccessLog* access_log)
    : settings_(settings),
      limit_(limit),
      pools_(dispatcher_, settings_.upstream_pool),
      balancer_(random_),
      idle_timeouts_(dispatcher_, settings_.idle_timeout),
      request_header_timeouts_(dispatcher_, settings_.request_header_timeout),
      tunnel_idle_timeouts_(dispatcher_, settings_.tunnel_idle_timeout),
      send_timeouts_(dispatcher_, settings_.send_timeout),
      upstream_response_timeouts_(dispatcher_, settings_.upstream_response_timeout),
      request_body_timeouts_(dispatcher_, settings_.request_body_timeout),
      stream_idle_timeouts_(dispatcher_, settings_.stream_idle_timeout),
      mirrors_(dispatcher_, pools_, balancer_, settings_),
      blocking_work_(dispatcher_, settings_.blocking_work_limit),
      side_requests_(dispatcher_, pools_, balancer_),
      request_metrics_(settings_.request_metrics ? std::make_unique<proxy::RequestMetrics>()
                                                 : nullptr),
      context_{dispatcher_,
               pools_,
               balancer_,
               stats_,
               settings_,
               random_,
               access_log,
               index,
               idle_timeouts_,
               request_header_timeouts_,
               tunnel_idle_timeouts_,
               send_timeouts_,
               upstream_response_timeouts_,
               request_body_timeouts_,
               stream_idle_timeouts_,
               mirrors_,
               blocking_work_,
               side_requests_,
               request_metrics_.get()},
      active_connections_(MetricsRegistry::Global().GetGauge(
          "gatehouse_dataplane_downstream_connections", "Open client connections, per worker.",
          {{"worker", absl::StrCat(index)}})) {
  dispatcher_.MeasureBusyTime(MetricsRegistry::Global().GetHistogram(
      "gatehouse_dataplane_worker_busy_seconds",
      "How long each turn of a worker's event loop kept it busy: the longest is the longest any "
      "request waited for its worker.",
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
      {{"worker", absl::StrCat(index)}}));
}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  thread_ = std::thread([this] { dispatcher_.Run(); });
}

void Worker::ApplyConfig(std::shared_ptr<const config::DataplaneConfig> config) {
  dispatcher_.Post([this, config = std::move(config)]() mutable {
    config_ = std::move(config);
    pools_.OnConfigUpdate(*config_);
    balancer_.OnConfigUpdate(*config_);
  });
}

void Worker::BeginDrain() {
  dispatcher_.Post([this] {
    draining_ = true;
    for (const auto& connection : connections_) connection->Drain();
  });
}

void Worker::StopAccepting() {
  dispatcher_.Post([this] {
    listener_.reset();
    https_listener_.reset();
    // Closing a connection removes it from the set; pick them out first.
    std::vector<DownstreamConnection*> idle;
    for (const auto& connection : connections_) {
      if (connection->idle()) idle.push_back(connection.get());
    }
    for (DownstreamConnection* connection : idle) {
      connection->Close(http::CloseReason::kDrain, "draining");
    }
  });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  dispatcher_.Exit([this] {
    listener_.reset();
    https_listener_.reset();
    // Closing a connection removes it from the set; take them out first.
    std::vector<DownstreamConnection*> open;
    for (const auto& connection : connections_) open.push_back(connection.get());
    for (DownstreamConnection* connection : open) {
      connection->Close(http::CloseReason::kShutdown, "shutting down");
    }
    ClosePassthroughs();
    mirrors_.Clear();
    side_requests_.Clear();
    blocking_work_.CancelWaiting();
    pools_.Clear();
    idle_timeouts_.Close();
    request_header_timeouts_.Close();
    tunnel_idle_timeouts_.Close();
    send_timeouts_.Close();
    upstream_response_timeouts_.Close();
    request_body_timeouts_.Close();
    stream_idle_timeouts_.Close();
  });
  thread_.join();
}

void Worker::OnAccept(std::unique_ptr<event::TcpConnection> tcp, bool tls) {
  if (!limit_->TryAcquire()) {
    stats_.closed[static_cast<int>(http::CloseReason::kMaxConnections)]->Increment();
    LOG_DEBUG("refusing a connection from ", tcp->peer_ip(), ": ", limit_->max(),
              " connections are open (--max-connections)");
    tcp->Close();
    return;
  }
  if (settings_.use_proxy_protocol) {
    auto reader = std::make_unique<proxy::ProxyProtocolReader>(
        context_, static_cast<proxy::ProxyProtocolReader::Owner&>(*this), std::move(tcp), tls);
    proxy::ProxyProtocolReader* raw = reader.get();
    proxy_readers_.insert(std::move(reader));
    raw->Start();
    return;
  }
  Admit(std::move(tcp), tls);
}

void Worker::Admit(std::unique_ptr<event::TcpConnection> tcp, bool tls) {
  if (tls && config_ != nullptr && config_->has_passthrough()) {
    auto passthrough = std::make_unique<proxy::TlsPassthrough>(
        context_, static_cast<proxy::TlsPassthrough::Owner&>(*this), std::move(tcp), config_);
    proxy::TlsPassthrough* raw = passthrough.get();
    passthroughs_.insert(std::move(passthrough));
    raw->Start();
    return;
  }
  Serve(std::move(tcp), tls);
}

void Worker::Serve(std::unique_ptr<event::TcpConnection> tcp, bool tls) {
  auto connection = std::make_unique<DownstreamConnection>(
      context_, static_cast<DownstreamConnection::Owner&>(*this), std::move(tcp),
      tls ? default_tls_ : nullptr);
  DownstreamConnection* raw = connection.get();
  connections_.insert(std::move(connection));
  active_connections_->Add(1);
  raw->Start();
  if (draining_) raw->Drain();
}

void Worker::OnPassthroughDone(proxy::TlsPassthrough& passthrough,
                               proxy::TlsPassthrough::Owner::Slot slot) {
  auto it = passthroughs_.find(&passthrough);
  if (it == passthroughs_.end()) return;
  if (slot == proxy::TlsPassthrough::Owner::Slot::kFree) limit_->Release();
  dispatcher_.DeferDelete(std::move(passthroughs_.extract(it).value()));
}

void Worker::OnProxyReaderDone(proxy::ProxyProtocolReader& reader, bool handed_on) {
  auto it = proxy_readers_.find(&reader);
  if (it == proxy_readers_.end()) return;
  if (!handed_on) limit_->Release();
  dispatcher_.DeferDelete(std::move(proxy_readers_.extract(it).value()));
}

void Worker::ClosePassthroughs() {
  std::vector<proxy::ProxyProtocolReader*> readers;
  for (const auto& reader : proxy_readers_) readers.push_back(reader.get());
  for (proxy::ProxyProtocolReader* reader : readers) reader->Close();
  std::vector<proxy::TlsPassthrough*> open;
  for (const auto& passthrough : passthroughs_) open.push_back(passthrough.get());
  for (proxy::TlsPassthrough* passthrough : open) passthrough->Close();
}

void Worker::OnConnectionClosed(DownstreamConnection& connection, bool lingers) {
  auto it = connections_.find(&connection);
  if (it == connections_.end()) return;
  active_connections_->Add(-1);
  if (!lingers) limit_->Release();
  dispatcher_.DeferDelete(std::move(connections_.extract(it).value()));
}

}  // namespace gatehouse::dataplane::server
