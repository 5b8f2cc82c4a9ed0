// The seam between a request and the upstream connections: acquire an exchange with an
// endpoint, and hand it back when the exchange is over. ConnPools is the worker's; tests fake it.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/upstream/upstream_stream.h"

namespace gatehouse::dataplane::upstream {

class UpstreamConnector {
 public:
  virtual ~UpstreamConnector() = default;

  // An exchange with `endpoint` as `cluster` speaks to it. With `*reused` true it is ready at
  // once; otherwise its listener hears when the connection under it is ready or failed.
  virtual absl::StatusOr<std::unique_ptr<UpstreamStream>> Acquire(
      const config::ClusterConfig& cluster, const config::EndpointAddress& endpoint,
      bool* reused) = 0;

  // Takes back a stream whose exchange completed (request and response both whole), to reuse
  // its connection when it can.
  virtual void Release(std::unique_ptr<UpstreamStream> stream) = 0;
};

}  // namespace gatehouse::dataplane::upstream
