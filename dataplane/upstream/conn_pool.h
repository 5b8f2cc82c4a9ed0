// Per-worker idle keep-alive connections, per endpoint.
//
// It outlives config versions, so connections carry over when the control plane pushes a
// change; endpoints that left every cluster lose their idle connections.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/upstream/upstream_connection.h"

namespace gatehouse::dataplane::upstream {

class ConnPools : private UpstreamConnection::Listener {
 public:
  // Idle connections kept per endpoint; more are closed when released.
  static constexpr size_t kMaxIdlePerEndpoint = 128;

  explicit ConnPools(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  ~ConnPools() override;

  // An idle connection to `endpoint` if one is left, else a new one still connecting
  // (`*reused` says which).
  absl::StatusOr<std::unique_ptr<UpstreamConnection>> Acquire(
      const config::EndpointAddress& endpoint, bool* reused);

  // Takes back a connection after an exchange; keeps it when reusable, else closes it.
  void Release(std::unique_ptr<UpstreamConnection> connection);

  // Closes idle connections to endpoints that are in no cluster of `config`.
  void OnConfigUpdate(const config::DataplaneConfig& config);

  // Closes every idle connection.
  void Clear();

 private:
  void OnConnect(UpstreamConnection& connection, const absl::Status& status) override {}
  void OnClose(UpstreamConnection& connection) override;

  event::Dispatcher& dispatcher_;
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace gatehouse::dataplane::upstream
