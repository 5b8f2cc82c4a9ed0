// Per-worker choice of an endpoint for each request, and what the worker has learnt of each
// endpoint's health.
//
// Policies (chosen per route): round robin (the default), least request (the less busy of two
// endpoints picked at random: "power of two choices"), and consistent hash on a key the stream
// takes from the request (a header, a cookie or the client address), by rendezvous hashing, so
// an endpoint leaving or joining moves only the keys it owned.
//
// Passive outlier detection: `kEjectAfterFailures` consecutive failures (connect failures or 5xx
// answers) eject an endpoint for `kBaseEjection` times the number of times it was ejected, and
// never more than half the endpoints of a cluster are out at once. An ejected endpoint gets no
// new requests until its time is up; a success clears its failures.
//
// Like everything a worker owns it is touched by the worker's thread only; it outlives config
// versions, and forgets endpoints that left every cluster.
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dataplane/config/dataplane_config.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::dataplane::upstream {

class LoadBalancer {
 public:
  static constexpr int kEjectAfterFailures = 5;
  static constexpr absl::Duration kBaseEjection = absl::Seconds(30);

  explicit LoadBalancer(absl::InsecureBitGen& random) : random_(random) {}

  // An endpoint of `cluster` for a request, or nullptr when the cluster has none. `hash_key` is
  // used by CONSISTENT_HASH (an empty key falls back to round robin); `avoid` is an endpoint
  // not to pick again when another is available (a retry).
  const config::EndpointAddress* Pick(const config::ClusterConfig& cluster,
                                      v1::LoadBalancing::Policy policy,
                                      absl::string_view hash_key = {},
                                      const config::EndpointAddress* avoid = nullptr,
                                      absl::Time now = absl::Now());

  // A request started or ended on `endpoint` (least request counts them).
  void OnRequestStart(const config::EndpointAddress& endpoint);
  void OnRequestEnd(const config::EndpointAddress& endpoint);

  // How an exchange with `endpoint` went, for outlier detection.
  void OnSuccess(const config::EndpointAddress& endpoint);
  void OnFailure(const config::ClusterConfig& cluster, const config::EndpointAddress& endpoint,
                 absl::Time now = absl::Now());

  // Whether `endpoint` is ejected at `now`.
  bool Ejected(const config::EndpointAddress& endpoint, absl::Time now = absl::Now()) const;

  // Forgets endpoints that are in no cluster of `config` and have no request in progress.
  void OnConfigUpdate(const config::DataplaneConfig& config);

 private:
  struct EndpointState {
    int64_t active_requests = 0;
    int consecutive_failures = 0;
    int ejections = 0;
    absl::Time ejected_until = absl::InfinitePast();
  };

  EndpointState& StateOf(const config::EndpointAddress& endpoint);

  absl::InsecureBitGen& random_;
  absl::flat_hash_map<std::string, EndpointState> endpoints_;  // by EndpointAddress::Key()
  absl::flat_hash_map<std::string, size_t> round_robin_;       // by cluster name
};

}  // namespace gatehouse::dataplane::upstream
