// A worker: one thread, one event loop, one SO_REUSEPORT listener, and everything its
// connections use. Workers share nothing mutable; the main thread reaches them only by posting
// to their Dispatcher (a new config, a drain, or the order to stop). They share the connection
// limit (a counter) and the session-ticket keys (read under a lock once per TLS handshake).
#pragma once

#include <memory>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/event/tcp.h"
#include "dataplane/proxy/connection_limit.h"
#include "dataplane/proxy/downstream_connection.h"
#include "dataplane/proxy/proxy_protocol_reader.h"
#include "dataplane/proxy/proxy_stream.h"
#include "dataplane/proxy/tls_passthrough.h"
#include "dataplane/upstream/conn_pool.h"
#include "dataplane/upstream/load_balancer.h"

namespace gatehouse::dataplane::server {

class Worker : private proxy::DownstreamConnection::Owner,
               private proxy::TlsPassthrough::Owner,
               private proxy::ProxyProtocolReader::Owner {
 public:
  // This worker's own bound, listening sockets, which it takes over.
  struct Listeners {
    int http_fd = -1;
    int https_fd = -1;                                // -1: no HTTPS
    const tls::ServerContext* default_tls = nullptr;  // for clients naming no known host
  };

  // `limit`, `access_log` (null: none) and `listeners.default_tls` must outlive the worker.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(int index, const Listeners& listeners,
                                                        const proxy::ProxySettings& settings,
                                                        proxy::ConnectionLimit* limit,
                                                        proxy::AccessLog* access_log);
  ~Worker() override;

  // Starts the worker's thread.
  void Start();
  // Makes `config` the one new requests start with; thread-safe.
  void ApplyConfig(std::shared_ptr<const config::DataplaneConfig> config);
  // Starts draining: every response from now on says Connection: close. Thread-safe.
  void BeginDrain();
  // Closes the listener, and every connection with no request in progress; the others close
  // after their response. Thread-safe.
  void StopAccepting();
  // Client connections open on this worker, counting closed ones still sending their last
  // bytes; thread-safe.
  int64_t open_connections() const {
    return active_connections_->value() + dispatcher_.lingering();
  }
  // Closes the listener and every connection, then joins the thread.
  void Stop();

 private:
  Worker(int index, const proxy::ProxySettings& settings, proxy::ConnectionLimit* limit,
         proxy::AccessLog* access_log);

  // proxy::DownstreamConnection::Owner
  // A connection's slot of --max-connections is given back once its socket is closed: a
  // closed connection still sending its last bytes holds a file descriptor.
  void OnConnectionClosed(proxy::DownstreamConnection& connection, bool lingers) override;
  void OnLingerEnd() override { limit_->Release(); }
  std::shared_ptr<const config::DataplaneConfig> current_config() const override { return config_; }

  // proxy::TlsPassthrough::Owner
  void TerminateTls(std::unique_ptr<event::TcpConnection> client) override {
    Serve(std::move(client), true);
  }
  void OnPassthroughDone(proxy::TlsPassthrough& passthrough,
                         proxy::TlsPassthrough::Owner::Slot slot) override;
  void OnPassthroughLingerEnd() override { limit_->Release(); }

  // proxy::ProxyProtocolReader::Owner
  void OnProxyHeaderRead(std::unique_ptr<event::TcpConnection> tcp, bool tls) override {
    Admit(std::move(tcp), tls);
  }
  void OnProxyReaderDone(proxy::ProxyProtocolReader& reader, bool handed_on) override;

  void OnAccept(std::unique_ptr<event::TcpConnection> tcp, bool tls);
  // A client connection holding a slot of the connection limit, its PROXY header read when
  // one is expected: passed through, or served.
  void Admit(std::unique_ptr<event::TcpConnection> tcp, bool tls);
  // A client connection served here.
  void Serve(std::unique_ptr<event::TcpConnection> tcp, bool tls);
  // Closes every passthrough connection, the connections waiting to be told apart, and those
  // waiting for their PROXY header.
  void ClosePassthroughs();

  const proxy::ProxySettings settings_;
  proxy::ConnectionLimit* const limit_;
  bool draining_ = false;  // loop thread only
  event::Dispatcher dispatcher_;
  upstream::ConnPools pools_;
  proxy::ProxyStats stats_;
  absl::InsecureBitGen random_;
  upstream::LoadBalancer balancer_;
  event::DeadlineQueue idle_timeouts_;
  event::DeadlineQueue request_header_timeouts_;
  event::DeadlineQueue tunnel_idle_timeouts_;
  event::DeadlineQueue send_timeouts_;
  event::DeadlineQueue upstream_response_timeouts_;
  event::DeadlineQueue request_body_timeouts_;
  event::DeadlineQueue stream_idle_timeouts_;
  proxy::Mirrors mirrors_;
  event::WorkQueue blocking_work_;
  proxy::SideRequests side_requests_;
  std::unique_ptr<proxy::RequestMetrics> request_metrics_;  // null: --request-metrics=false
  proxy::WorkerContext context_;
  Gauge* active_connections_;
  std::unique_ptr<event::TcpListener> listener_;
  std::unique_ptr<event::TcpListener> https_listener_;
  const tls::ServerContext* default_tls_ = nullptr;
  std::shared_ptr<const config::DataplaneConfig> config_;
  // Found by raw pointer (Abseil's hashing of smart pointers allows it): one pointer a slot.
  absl::flat_hash_set<std::unique_ptr<proxy::DownstreamConnection>> connections_;
  // TLS connections being told apart, or passed through (ssl-passthrough).
  absl::flat_hash_set<std::unique_ptr<proxy::TlsPassthrough>> passthroughs_;
  // Connections waiting for their PROXY protocol header (--use-proxy-protocol).
  absl::flat_hash_set<std::unique_ptr<proxy::ProxyProtocolReader>> proxy_readers_;
  std::thread thread_;
};

}  // namespace gatehouse::dataplane::server
