// Per-worker upstream connections: idle HTTP/1.1 keep-alive connections, and HTTP/2
// connections shared by many exchanges, each kept per endpoint and per the way a cluster makes
// connections (config::ClusterConfig::ConnectionKey).
//
// It outlives config versions, so connections carry over when the control plane pushes a
// change; endpoints that left every cluster lose their idle connections, and their HTTP/2
// connections close once the exchanges on them are done.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/upstream/http2_connection.h"
#include "dataplane/upstream/upstream_connection.h"
#include "dataplane/upstream/upstream_connector.h"
#include "dataplane/upstream/upstream_stream.h"

namespace gatehouse::dataplane::upstream {

class ConnPools : public UpstreamConnector,
                  private UpstreamConnection::IdleListener,
                  private Http2Connection::Owner {
 public:
  // Idle HTTP/1.1 connections kept per endpoint; more are closed when released. Enough for a
  // few HTTP/2 clients' worth of concurrent streams (128 each) without reconnecting: with 640
  // requests in flight and 128 kept, connections churn and throughput halves.
  static constexpr size_t kMaxIdlePerEndpoint = 1024;

  explicit ConnPools(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  ~ConnPools() override;

  // An exchange with `endpoint` as `cluster` speaks to it: on an idle HTTP/1.1 connection or an
  // HTTP/2 connection with room (`*reused`: ready at once), else on a new connection whose
  // readiness the stream's listener hears.
  absl::StatusOr<std::unique_ptr<UpstreamStream>> Acquire(const config::ClusterConfig& cluster,
                                                          const config::EndpointAddress& endpoint,
                                                          bool* reused) override;

  // Takes back a stream after its exchange: an HTTP/1.1 connection is kept when reusable.
  void Release(std::unique_ptr<UpstreamStream> stream) override;

  // Closes idle connections to endpoints that are in no cluster of `config`, and drains their
  // HTTP/2 connections.
  void OnConfigUpdate(const config::DataplaneConfig& config);

  // Closes every idle connection and drains every HTTP/2 one.
  void Clear();

  // Idle HTTP/1.1 connections kept, across endpoints.
  size_t idle_connections() const;

 private:
  void OnIdleClose(UpstreamConnection& connection) override;
  void OnConnectionDone(Http2Connection& connection) override;

  event::Dispatcher& dispatcher_;
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<Http2Connection>>> http2_;
};

}  // namespace gatehouse::dataplane::upstream
