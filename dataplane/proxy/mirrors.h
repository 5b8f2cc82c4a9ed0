// Copies of requests sent to their route's mirror clusters (RequestMirror), the answers dropped.
//
// A copy is an upstream exchange of its own, owned by the worker's Mirrors and not by the
// request it copies: the request never waits for it, and may end first. The request hands its
// body to the copy as the body arrives. Every cost is bounded:
//  - a copy whose upstream takes the body slower than the client sends it holds at most
//    kMaxHeld bytes, and all copies of a worker together kMaxWorkerHeld; past either, the copy
//    is dropped;
//  - a copy waits at most the upstream response timeout for its request's next bytes, and, once
//    its request is whole, at most that long for its whole answer (response bytes extend
//    nothing: the answer is read and dropped, and a trickling upstream is cut);
//  - at most kMaxActive copies are in flight per worker, and at most kMaxActivePerCluster to one
//    cluster (one tenant's slow mirror target leaves the others theirs); past that, requests are
//    not copied.
// Each ends counted by outcome in gatehouse_dataplane_mirror_requests_total.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "common/metrics.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/buffer_budget.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/http/headers.h"
#include "dataplane/proxy/cluster_shares.h"
#include "dataplane/proxy/proxy_settings.h"
#include "dataplane/upstream/load_balancer.h"
#include "dataplane/upstream/upstream_connector.h"

namespace gatehouse::dataplane::proxy {

class Mirrors {
 public:
  static constexpr size_t kMaxHeld = 1 << 20;
  static constexpr size_t kMaxWorkerHeld = 32 << 20;
  static constexpr size_t kMaxActive = 1024;
  static constexpr size_t kMaxActivePerCluster = kMaxActive / 8;

  enum class Outcome {
    kAnswered,    // the mirror's upstream answered (whatever the status)
    kFailed,      // the connection failed or broke before the answer ended
    kTimedOut,    // the request stalled, or the answer took too long
    kFellBehind,  // the upstream took the body too slowly
    kAbandoned,   // the copied request did not complete (its client went away)
    kNotSent,     // no ready endpoint, or too many copies in flight
  };
  static constexpr int kOutcomeCount = static_cast<int>(Outcome::kNotSent) + 1;

  using Id = uint64_t;  // 0 names no copy

  Mirrors(event::Dispatcher& dispatcher, upstream::UpstreamConnector& upstreams,
          upstream::LoadBalancer& balancer, const ProxySettings& settings);
  ~Mirrors();
  Mirrors(const Mirrors&) = delete;
  Mirrors& operator=(const Mirrors&) = delete;

  // Starts a copy of `head` to `cluster` (of `config`, which the copy keeps), with `body` so
  // far; with `complete` false, the rest of the body comes through Feed. The id of the copy
  // still taking body; 0 when it is complete or could not start.
  Id Start(std::shared_ptr<const config::DataplaneConfig> config,
           const config::ClusterConfig& cluster, http::RequestHead head, absl::string_view body,
           bool complete);
  // More of the copied request's body; `end_stream` completes it.
  void Feed(Id id, absl::string_view data, bool end_stream);
  // The copied request will not complete: its copy is dropped.
  void Abandon(Id id);
  // Drops every copy: the worker stops.
  void Clear();
  // A copy that was not even started (its cluster is not in the config) is counted not sent.
  void CountNotSent() { outcomes_[static_cast<int>(Outcome::kNotSent)]->Increment(); }

  size_t active() const { return active_.size(); }
  size_t active(absl::string_view cluster_name) const { return shares_.count(cluster_name); }
  uint64_t count(Outcome outcome) const { return outcomes_[static_cast<int>(outcome)]->value(); }

 private:
  class Exchange;
  // Counts `exchange`'s outcome and lets it go, on a later turn of the loop.
  void Finish(Exchange& exchange, Outcome outcome);

  event::Dispatcher& dispatcher_;
  upstream::UpstreamConnector& upstreams_;
  upstream::LoadBalancer& balancer_;
  const ProxySettings& settings_;
  event::BufferBudget budget_;
  event::DeadlineQueue idle_timeouts_;
  absl::flat_hash_map<Id, std::unique_ptr<Exchange>> active_;
  ClusterShares shares_{kMaxActivePerCluster};
  Id next_id_ = 1;
  std::array<Counter*, kOutcomeCount> outcomes_;
};

}  // namespace gatehouse::dataplane::proxy
