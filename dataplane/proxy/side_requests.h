// Requests the filters send of their own (external auth), each an upstream exchange owned by the
// worker, not by the request that asked for it.
//
// A side request is bodiless; its answer's head goes to the asker on a later turn of the loop
// (never inside the upstream connection's own parse), and its body is read and dropped, so the
// connection can serve again. Every cost is bounded: at most kMaxActive side requests in flight
// per worker, and at most kMaxActivePerCluster of them to one cluster, so that one tenant's slow
// auth service cannot take every slot from the others (past either, the asker gets no answer
// at once), the asker's timeout for the answer's
// head, and kMaxBody bytes of body read within kDrainMs (past either, the connection is closed).
// An asker that goes away cancels: its exchange ends, and its callback never runs.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "common/metrics.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/filters/filter.h"
#include "dataplane/proxy/cluster_shares.h"
#include "dataplane/upstream/load_balancer.h"
#include "dataplane/upstream/upstream_connector.h"

namespace gatehouse::dataplane::proxy {

class SideRequests {
 public:
  static constexpr size_t kMaxActive = 1024;
  static constexpr size_t kMaxActivePerCluster = kMaxActive / 8;
  static constexpr size_t kMaxBody = 64 << 10;
  // How long the body after an answer's head may take to be read (then the connection closes).
  static constexpr uint64_t kDrainMs = 1000;

  using Id = uint64_t;  // 0 names none
  using Callback = absl::AnyInvocable<void(filters::SideResponse)>;

  SideRequests(event::Dispatcher& dispatcher, upstream::UpstreamConnector& upstreams,
               upstream::LoadBalancer& balancer);
  ~SideRequests();
  SideRequests(const SideRequests&) = delete;
  SideRequests& operator=(const SideRequests&) = delete;

  // Sends `head` to `cluster_name` of `config` (kept while the exchange lasts); `done` runs on
  // a later turn with the answer or the failure, unless Cancel(id) comes first.
  Id Send(std::shared_ptr<const config::DataplaneConfig> config, absl::string_view cluster_name,
          http::RequestHead head, uint64_t timeout_ms, Callback done);
  void Cancel(Id id);
  // Ends every exchange without calling back: the worker stops.
  void Clear();

  size_t active() const { return active_.size(); }
  size_t active(absl::string_view cluster_name) const { return shares_.count(cluster_name); }

 private:
  class Exchange;
  // Hands `response` to the asker of `id` on a later turn (unless cancelled by then).
  void Answer(Id id, filters::SideResponse response);
  // Lets `exchange` go, on a later turn.
  void Finish(Exchange& exchange);

  event::Dispatcher& dispatcher_;
  upstream::UpstreamConnector& upstreams_;
  upstream::LoadBalancer& balancer_;
  absl::flat_hash_map<Id, std::unique_ptr<Exchange>> active_;
  ClusterShares shares_{kMaxActivePerCluster};
  absl::flat_hash_map<Id, Callback> waiting_;  // askers not yet answered
  // Answers owed but not yet handed over: the asker is called on a later turn.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Id next_id_ = 1;
  Counter* failures_;
};

}  // namespace gatehouse::dataplane::proxy
