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
#include "absl/time/time.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/upstream/http2_connection.h"
#include "dataplane/upstream/upstream_connection.h"
#include "dataplane/upstream/upstream_connector.h"
#include "dataplane/upstream/upstream_stream.h"

namespace gatehouse::dataplane::upstream {

// How idle HTTP/1.1 connections are kept (--upstream-idle-timeout and
// --upstream-max-idle-per-endpoint).
struct PoolSettings {
  // An idle connection unused this long is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  // Idle connections kept per endpoint (and way of connecting); more are closed when released.
  // 0 keeps none: every exchange connects anew.
  int max_idle_per_endpoint = 64;
};

class ConnPools : public UpstreamConnector,
                  private UpstreamConnection::IdleListener,
                  private Http2Connection::Owner {
 public:
  explicit ConnPools(event::Dispatcher& dispatcher, const PoolSettings& settings = {})
      : dispatcher_(dispatcher),
        max_idle_per_endpoint_(static_cast<size_t>(settings.max_idle_per_endpoint)),
        idle_timeouts_(dispatcher, settings.idle_timeout) {}
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

  // Closes every idle connection and drains every HTTP/2 one; at shutdown, since it also stops
  // the idle timer, so that the loop can end.
  void Clear();

  // Idle HTTP/1.1 connections kept, across endpoints.
  size_t idle_connections() const;

 private:
  void OnIdleClose(UpstreamConnection& connection) override;
  void OnConnectionDone(Http2Connection& connection) override;

  event::Dispatcher& dispatcher_;
  const size_t max_idle_per_endpoint_;
  event::DeadlineQueue idle_timeouts_;
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<Http2Connection>>> http2_;
};

}  // namespace gatehouse::dataplane::upstream
