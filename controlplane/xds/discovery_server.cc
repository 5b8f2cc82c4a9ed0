#include "controlplane/xds/discovery_server.h"

#include <deque>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/resource_types.h"

namespace gatehouse::controlplane::xds {

using gatehouse::v1::DiscoveryRequest;
using gatehouse::v1::DiscoveryResponse;
using ReaderWriter = grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>;

namespace {

bool IsKnownType(absl::string_view type_url) {
  for (absl::string_view type : kResourceTypesInOrder) {
    if (type == type_url) return true;
  }
  return false;
}

}  // namespace

// One data plane's stream: the handler thread runs Run(), a reader thread queues requests.
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
  struct TypeState {
    bool subscribed = false;
    // What the data plane runs: `has` is exact once `content_known`; before that (a new stream)
    // only its version is known, from the subscription.
    // Content maps are shared with the snapshot they came from, so no stream copies them.
    bool content_known = false;
    std::shared_ptr<const ContentMap> has;
    std::string has_version;
    // The response awaiting its ACK or NACK; a type is sent again only after the answer.
    struct InFlight {
      std::string version;
      std::string nonce;
      std::shared_ptr<const ContentMap> content;  // what the data plane runs once it applies it
    };
    std::optional<InFlight> in_flight;
    std::string rejected_version;  // never resent until the snapshot changes
  };

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
      for (const DiscoveryRequest& request : requests) Handle(request);
      if (reader_done) return grpc::Status::OK;
      if (!SendChanged()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cannot write to the data plane");
      }
    }
  }

  void Handle(const DiscoveryRequest& request) {
    if (request.has_node() && node_id_.empty()) {
      node_id_ = request.node().id();
      server_->UpdateStatus(id_, [&request](StreamStatus& status) {
        status.node_id = request.node().id();
        status.node_build_version = request.node().build_version();
      });
      LOG_INFO("data plane \"", node_id_, "\" connected from ", context_->peer());
    }
    const std::string& type = request.type_url();
    if (!IsKnownType(type)) {
      LOG_WARNING("data plane \"", node_id_, "\" asked for unknown type \"", type, "\"; ignored");
      return;
    }
    TypeState& state = types_[type];
    if (request.response_nonce().empty() || !state.subscribed) {
      // A subscription: the data plane says which version it already runs.
      state = TypeState();
      state.subscribed = true;
      state.has_version = request.version_info();
      return;
    }
    if (!state.in_flight.has_value() || request.response_nonce() != state.in_flight->nonce) {
      LOG_DEBUG("data plane \"", node_id_, "\": stale nonce ", request.response_nonce(), " for ",
                ShortTypeName(type), "; ignored");
      return;
    }
    TypeState::InFlight answered = std::move(*state.in_flight);
    state.in_flight.reset();
    if (request.has_error_detail()) {
      state.rejected_version = answered.version;
      LOG_WARNING("data plane \"", node_id_, "\" rejected ", ShortTypeName(type), " version ",
                  answered.version, " (keeps ",
                  request.version_info().empty() ? "none" : request.version_info(),
                  "): ", request.error_detail().message());
      server_->nacks_counter_->Increment();
      server_->UpdateStatus(id_, [&](StreamStatus& status) {
        status.last_nacks[type] = StreamStatus::Nack{answered.version, request.version_info(),
                                                     request.error_detail().message()};
      });
      return;
    }
    state.has = std::move(answered.content);
    state.has_version = answered.version;
    state.content_known = true;
    LOG_DEBUG("data plane \"", node_id_, "\" runs ", ShortTypeName(type), " version ",
              answered.version);
    server_->UpdateStatus(
        id_, [&](StreamStatus& status) { status.acked_versions[type] = answered.version; });
  }

  // Whether the data plane runs the snapshot's listeners and routes: only then may clusters and
  // endpoints those routes used to reference be removed.
  bool RoutesSettled(const Snapshot& snapshot) const {
    for (absl::string_view type : {kListenerType, kRouteType}) {
      auto it = types_.find(std::string(type));
      const ResourceSet* set = snapshot.Find(type);
      if (it == types_.end() || set == nullptr) return false;
      const TypeState& state = it->second;
      if (state.in_flight.has_value() || state.has_version != set->version) return false;
    }
    return true;
  }

  // Sends, in type order, every subscribed type whose current content the data plane lacks and
  // that has no answer outstanding: all of it on a new stream, else what changed.
  bool SendChanged() {
    std::shared_ptr<const Snapshot> snapshot = server_->cache_->Current();
    if (snapshot == nullptr) return true;
    bool routes_settled = RoutesSettled(*snapshot);
    for (absl::string_view type : kResourceTypesInOrder) {
      auto it = types_.find(std::string(type));
      const ResourceSet* set = snapshot->Find(type);
      if (it == types_.end() || set == nullptr) continue;
      TypeState& state = it->second;
      if (!state.subscribed || state.in_flight.has_value()) continue;
      std::shared_ptr<const ContentMap> content(snapshot, &set->content);
      if (set->version == state.has_version) {
        // Runs this version already (a reconnect says so too): nothing to send.
        if (!state.content_known) {
          state.has = std::move(content);
          state.content_known = true;
        }
        continue;
      }
      if (!state.content_known) {
        if (set->version == state.rejected_version) continue;
        if (!Send(state, *set, set->version, std::move(content), /*incremental=*/false)) {
          return false;
        }
        continue;
      }
      // Make before break: until the data plane runs routes that no longer use them, clusters
      // and endpoints leaving the snapshot stay.
      std::shared_ptr<const ContentMap> target = std::move(content);
      std::string version = set->version;
      if ((type == kClusterType || type == kEndpointsType) && !routes_settled &&
          !RemovedNames(*state.has, set->content).empty()) {
        auto kept = std::make_shared<ContentMap>(set->content);
        for (const auto& [name, digest] : *state.has) kept->emplace(name, digest);
        version = ContentVersion(type, *kept);
        target = std::move(kept);
      }
      if (version == state.has_version || version == state.rejected_version) continue;
      if (!Send(state, *set, version, std::move(target), /*incremental=*/true)) return false;
    }
    return true;
  }

  // The names in `from` that `to` lacks; both maps are walked once, in name order.
  static std::vector<std::string> RemovedNames(const ContentMap& from, const ContentMap& to) {
    std::vector<std::string> removed;
    auto t = to.begin();
    for (const auto& [name, digest] : from) {
      while (t != to.end() && t->first < name) ++t;
      if (t == to.end() || t->first != name) removed.push_back(name);
    }
    return removed;
  }

  // Writes one response taking the data plane from `state.has` to `target` (all of `set`'s
  // resources when not incremental).
  bool Send(TypeState& state, const ResourceSet& set, const std::string& version,
            std::shared_ptr<const ContentMap> target, bool incremental) {
    DiscoveryResponse response;
    response.set_type_url(set.type_url);
    response.set_version_info(version);
    response.set_nonce(absl::StrCat(++nonce_counter_));
    response.set_incremental(incremental);
    // set.resources, set.names and set.content are all in name order: walk them with `has`.
    auto current = set.content.begin();
    auto had = incremental ? state.has->begin() : ContentMap::const_iterator();
    for (size_t i = 0; i < set.resources.size(); ++i, ++current) {
      if (incremental) {
        while (had != state.has->end() && had->first < current->first) ++had;
        if (had != state.has->end() && had->first == current->first &&
            had->second == current->second) {
          continue;
        }
      }
      *response.add_resources() = set.resources[i];
    }
    if (incremental) {
      for (std::string& name : RemovedNames(*state.has, *target)) {
        response.add_removed_resources(std::move(name));
      }
    }
    if (!rw_->Write(response)) return false;
    LOG_DEBUG("sent ", ShortTypeName(set.type_url), " version ", version, " (",
              incremental ? "incremental, " : "", response.resources_size(), " resources, ",
              response.removed_resources_size(), " removed) to data plane \"", node_id_, "\"");
    state.in_flight = TypeState::InFlight{version, response.nonce(), std::move(target)};
    server_->UpdateStatus(
        id_, [&](StreamStatus& status) { status.sent_versions[set.type_url] = version; });
    return true;
  }

  DiscoveryServer* const server_;
  const uint64_t id_;
  grpc::ServerContext* const context_;
  ReaderWriter* const rw_;

  // Handler thread only.
  std::map<std::string, TypeState> types_;
  uint64_t nonce_counter_ = 0;
  std::string node_id_;

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
