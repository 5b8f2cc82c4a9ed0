#include "controlplane/xds/discovery_server.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/resource_types.h"
#include "controlplane/xds/stream_protocol.h"

namespace gatehouse::controlplane::xds {

using gatehouse::v1::DiscoveryRequest;
using gatehouse::v1::DiscoveryResponse;
using ReaderWriter = grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>;

// One data plane's stream: the handler thread runs Run(), a reader thread queues requests. The
// protocol itself is StreamProtocol's; this shell moves messages, logs and records.
class DiscoveryServer::Stream {
 public:
  Stream(DiscoveryServer* server, uint64_t id, grpc::ServerContext* context, ReaderWriter* rw)
      : server_(server), id_(id), context_(context), rw_(rw) {}

  // Serves the stream until the data plane leaves, a write fails or the server shuts down.
  grpc::Status Run() {
    std::thread reader([this] { ReadLoop(); });
    grpc::Status status = Serve();
    bool reader_done;
    {
      absl::MutexLock lock(&mutex_);
      reader_done = reader_done_;
    }
    // A reader blocked in Read only returns once the call is cancelled.
    if (!reader_done) context_->TryCancel();
    reader.join();
    return status;
  }

  // Something changed (a new snapshot): re-check what to send.
  void Wake() {
    absl::MutexLock lock(&mutex_);
    wake_ = true;
    cond_.Signal();
  }

  // End the stream.
  void Stop() {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
    cond_.Signal();
  }

 private:
  void ReadLoop() {
    DiscoveryRequest request;
    while (rw_->Read(&request)) {
      absl::MutexLock lock(&mutex_);
      requests_.push_back(std::move(request));
      request.Clear();
      cond_.Signal();
    }
    absl::MutexLock lock(&mutex_);
    reader_done_ = true;
    cond_.Signal();
  }

  grpc::Status Serve() {
    while (true) {
      std::deque<DiscoveryRequest> requests;
      bool reader_done = false;
      {
        absl::MutexLock lock(&mutex_);
        while (requests_.empty() && !reader_done_ && !wake_ && !stop_) cond_.Wait(&mutex_);
        if (stop_)
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "control plane shutting down");
        requests.swap(requests_);
        reader_done = reader_done_;
        wake_ = false;
      }
      for (const DiscoveryRequest& request : requests) Record(protocol_.Handle(request));
      if (reader_done) return grpc::Status::OK;
      for (const DiscoveryResponse& response : protocol_.Responses(server_->cache_->Current())) {
        if (!rw_->Write(response)) {
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cannot write to the data plane");
        }
        LOG_DEBUG("sent ", ShortTypeName(response.type_url()), " version ", response.version_info(),
                  " (", response.incremental() ? "incremental, " : "", response.resources_size(),
                  " resources, ", response.removed_resources_size(), " removed) to data plane \"",
                  protocol_.node_id(), "\"");
        server_->UpdateStatus(id_, [&](StreamStatus& status) {
          status.sent_versions[response.type_url()] = response.version_info();
        });
      }
    }
  }

  // Logs what a request was and records it in the stream's status.
  void Record(const StreamProtocol::Outcome& outcome) {
    using Kind = StreamProtocol::Outcome::Kind;
    const std::string& node = protocol_.node_id();
    if (outcome.identified) {
      server_->UpdateStatus(id_, [&](StreamStatus& status) {
        status.node_id = node;
        status.node_build_version = protocol_.node_build_version();
      });
      LOG_INFO("data plane \"", node, "\" connected from ", context_->peer());
    }
    const std::string& type = outcome.type_url;
    switch (outcome.kind) {
      case Kind::kSubscribed:
        break;
      case Kind::kUnknownType:
        LOG_WARNING("data plane \"", node, "\" asked for unknown type \"", type, "\"; ignored");
        break;
      case Kind::kStaleNonce:
        LOG_DEBUG("data plane \"", node, "\": stale nonce for ", ShortTypeName(type), "; ignored");
        break;
      case Kind::kNack:
        LOG_WARNING("data plane \"", node, "\" rejected ", ShortTypeName(type), " version ",
                    outcome.version, " (keeps ",
                    outcome.kept_version.empty() ? "none" : outcome.kept_version,
                    "): ", outcome.message);
        server_->nacks_counter_->Increment();
        server_->UpdateStatus(id_, [&](StreamStatus& status) {
          status.last_nacks[type] =
              StreamStatus::Nack{outcome.version, outcome.kept_version, outcome.message};
        });
        break;
      case Kind::kAck:
        LOG_DEBUG("data plane \"", node, "\" runs ", ShortTypeName(type), " version ",
                  outcome.version);
        server_->UpdateStatus(
            id_, [&](StreamStatus& status) { status.acked_versions[type] = outcome.version; });
        break;
    }
  }

  DiscoveryServer* const server_;
  const uint64_t id_;
  grpc::ServerContext* const context_;
  ReaderWriter* const rw_;
  StreamProtocol protocol_;  // handler thread only

  absl::Mutex mutex_;
  absl::CondVar cond_;
  std::deque<DiscoveryRequest> requests_ ABSL_GUARDED_BY(mutex_);
  bool reader_done_ ABSL_GUARDED_BY(mutex_) = false;
  bool wake_ ABSL_GUARDED_BY(mutex_) = false;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
};

DiscoveryServer::DiscoveryServer(SnapshotCache* cache)
    : cache_(cache),
      watcher_id_(cache->AddWatcher([this] { WakeAll(); })),
      connected_gauge_(MetricsRegistry::Global().GetGauge(
          "gatehouse_controlplane_connected_dataplanes", "Data planes with an open config stream")),
      nacks_counter_(MetricsRegistry::Global().GetCounter(
          "gatehouse_controlplane_nacks_total", "Config responses data planes rejected")) {}

DiscoveryServer::~DiscoveryServer() {
  cache_->RemoveWatcher(watcher_id_);
  Shutdown();
}

void DiscoveryServer::Shutdown() {
  absl::MutexLock lock(&mutex_);
  shutting_down_ = true;
  for (auto& [id, stream] : streams_) stream->Stop();
}

void DiscoveryServer::WakeAll() {
  absl::MutexLock lock(&mutex_);
  for (auto& [id, stream] : streams_) stream->Wake();
}

std::vector<StreamStatus> DiscoveryServer::Streams() const {
  absl::MutexLock lock(&mutex_);
  std::vector<StreamStatus> out;
  for (const auto& [id, status] : statuses_) out.push_back(status);
  return out;
}

template <typename Fn>
void DiscoveryServer::UpdateStatus(uint64_t id, Fn update) {
  absl::MutexLock lock(&mutex_);
  auto it = statuses_.find(id);
  if (it != statuses_.end()) update(it->second);
}

grpc::Status DiscoveryServer::StreamConfig(grpc::ServerContext* context, ReaderWriter* rw) {
  uint64_t id;
  {
    absl::MutexLock lock(&mutex_);
    id = next_stream_id_++;
  }
  Stream stream(this, id, context, rw);
  {
    absl::MutexLock lock(&mutex_);
    if (shutting_down_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "control plane shutting down");
    }
    streams_[id] = &stream;
    StreamStatus& status = statuses_[id];
    status.stream_id = id;
    status.peer = context->peer();
    status.connected_since = absl::Now();
  }
  // Tell the data plane at once that it reached a control plane, even if nothing is to be sent.
  context->AddInitialMetadata(std::string(kStreamOpenedMetadata), "1");
  rw->SendInitialMetadata();
  connected_gauge_->Add(1);
  grpc::Status result = stream.Run();
  connected_gauge_->Add(-1);
  std::string node;
  std::string peer;
  {
    absl::MutexLock lock(&mutex_);
    node = statuses_[id].node_id;
    peer = statuses_[id].peer;
    streams_.erase(id);
    statuses_.erase(id);
  }
  LOG_INFO("data plane \"", node, "\" (", peer,
           ") disconnected: ", result.ok() ? "stream closed" : result.error_message());
  return result;
}

}  // namespace gatehouse::controlplane::xds
