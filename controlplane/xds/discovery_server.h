// The config stream every data plane holds open (gatehouse.v1.ConfigDiscoveryService).
//
// What each stream sends and when is StreamProtocol's (stream_protocol.h). This is its shell:
// each stream is served by its gRPC handler thread plus one reader thread that queues requests;
// the handler waits for a request, a new snapshot or the end of the stream, hands requests to
// the protocol and writes what it answers. ACKs and NACKs are recorded per stream, and a NACK
// is logged and counted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "controlplane/xds/snapshot_cache.h"
#include "gatehouse/v1/discovery.grpc.pb.h"

namespace gatehouse::controlplane::xds {

// What the control plane knows of one connected data plane.
struct StreamStatus {
  uint64_t stream_id = 0;
  std::string node_id;
  std::string node_build_version;
  std::string peer;
  absl::Time connected_since;
  std::map<std::string, std::string> sent_versions;   // by type URL
  std::map<std::string, std::string> acked_versions;  // by type URL
  struct Nack {
    std::string rejected_version;  // the version the data plane refused
    std::string kept_version;      // the version it keeps running
    std::string message;
  };
  std::map<std::string, Nack> last_nacks;  // by type URL
};

class DiscoveryServer final : public gatehouse::v1::ConfigDiscoveryService::Service {
 public:
  // `cache` must outlive the server.
  explicit DiscoveryServer(SnapshotCache* cache);
  ~DiscoveryServer() override;

  // Ends every stream now and refuses new ones; call before grpc::Server::Shutdown.
  void Shutdown();

  // The connected data planes, by stream id; thread-safe.
  std::vector<StreamStatus> Streams() const;

  grpc::Status StreamConfig(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<gatehouse::v1::DiscoveryResponse, gatehouse::v1::DiscoveryRequest>*
          stream) override;

 private:
  class Stream;

  // Calls `update` on the recorded status of stream `id`.
  template <typename Fn>
  void UpdateStatus(uint64_t id, Fn update);
  void WakeAll();

  SnapshotCache* const cache_;
  const int watcher_id_;
  Gauge* const connected_gauge_;
  Counter* const nacks_counter_;

  mutable absl::Mutex mutex_;
  bool shutting_down_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t next_stream_id_ ABSL_GUARDED_BY(mutex_) = 1;
  std::map<uint64_t, Stream*> streams_ ABSL_GUARDED_BY(mutex_);
  std::map<uint64_t, StreamStatus> statuses_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gatehouse::controlplane::xds
