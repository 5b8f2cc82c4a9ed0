#include "dataplane/upstream/load_balancer.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace gatehouse::dataplane::upstream {
namespace {

// A hash that is the same in every process (affinity must survive a request landing on another
// replica): FNV-1a, then SplitMix64's finaliser to spread the bits.
uint64_t StableHash(absl::string_view data, uint64_t seed = 0) {
  uint64_t hash = 14695981039346656037ull ^ seed;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ull;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebull;
  return hash ^ (hash >> 31);
}

bool SameEndpoint(const config::EndpointAddress& a, const config::EndpointAddress& b) {
  return a.Key() == b.Key();
}

}  // namespace

LoadBalancer::EndpointState& LoadBalancer::StateOf(const config::EndpointAddress& endpoint) {
  return endpoints_[endpoint.Key()];
}

bool LoadBalancer::Ejected(const config::EndpointAddress& endpoint, absl::Time now) const {
  auto it = endpoints_.find(endpoint.Key());
  return it != endpoints_.end() && it->second.ejected_until > now;
}

const config::EndpointAddress* LoadBalancer::Pick(const config::ClusterConfig& cluster,
                                                  v1::LoadBalancing::Policy policy,
                                                  absl::string_view hash_key,
                                                  const config::EndpointAddress* avoid,
                                                  absl::Time now) {
  const std::vector<config::EndpointAddress>& all = cluster.endpoints;
  if (all.empty()) return nullptr;
  // Strictest first: neither ejected nor the one to avoid; then not the one to avoid; then any,
  // so a request always goes somewhere while the cluster has endpoints.
  for (int level = 0; level < 3; ++level) {
    auto acceptable = [&](const config::EndpointAddress& endpoint) {
      if (level < 2 && avoid != nullptr && SameEndpoint(endpoint, *avoid)) return false;
      return level > 0 || !Ejected(endpoint, now);
    };
    const size_t n = all.size();
    if (policy == v1::LoadBalancing::CONSISTENT_HASH && !hash_key.empty()) {
      // Rendezvous hashing: the endpoint scoring highest for this key.
      const uint64_t key = StableHash(hash_key);
      const config::EndpointAddress* best = nullptr;
      uint64_t best_score = 0;
      for (const config::EndpointAddress& endpoint : all) {
        if (!acceptable(endpoint)) continue;
        uint64_t score = StableHash(endpoint.Key(), key);
        if (best == nullptr || score > best_score) {
          best = &endpoint;
          best_score = score;
        }
      }
      if (best != nullptr) return best;
      continue;
    }
    if (policy == v1::LoadBalancing::LEAST_REQUEST && n > 1) {
      // Two distinct endpoints at random, or when either is not acceptable, the first two
      // acceptable ones from a random start; the one with fewer requests in progress wins.
      size_t a = absl::Uniform<size_t>(random_, 0, n);
      size_t b = absl::Uniform<size_t>(random_, 0, n - 1);
      if (b >= a) ++b;
      const config::EndpointAddress* first = &all[a];
      const config::EndpointAddress* second = &all[b];
      if (!acceptable(*first) || !acceptable(*second)) {
        first = second = nullptr;
        for (size_t i = 0; i < n && second == nullptr; ++i) {
          const config::EndpointAddress& endpoint = all[(a + i) % n];
          if (!acceptable(endpoint)) continue;
          (first == nullptr ? first : second) = &endpoint;
        }
      }
      if (second != nullptr) {
        return StateOf(*second).active_requests < StateOf(*first).active_requests ? second : first;
      }
      if (first != nullptr) return first;
      continue;
    }
    // Round robin over the acceptable endpoints.
    size_t& next = round_robin_[cluster.name];
    for (size_t i = 0; i < n; ++i) {
      const config::EndpointAddress& endpoint = all[(next + i) % n];
      if (!acceptable(endpoint)) continue;
      next = (next + i + 1) % n;
      return &endpoint;
    }
  }
  return &all.front();  // unreachable: level 2 accepts every endpoint
}

void LoadBalancer::OnRequestStart(const config::EndpointAddress& endpoint) {
  ++StateOf(endpoint).active_requests;
}

void LoadBalancer::OnRequestEnd(const config::EndpointAddress& endpoint) {
  EndpointState& state = StateOf(endpoint);
  if (state.active_requests > 0) --state.active_requests;
}

void LoadBalancer::OnSuccess(const config::EndpointAddress& endpoint) {
  auto it = endpoints_.find(endpoint.Key());
  if (it != endpoints_.end()) it->second.consecutive_failures = 0;
}

void LoadBalancer::OnFailure(const config::ClusterConfig& cluster,
                             const config::EndpointAddress& endpoint, absl::Time now) {
  EndpointState& state = StateOf(endpoint);
  if (state.ejected_until > now) return;
  if (++state.consecutive_failures < kEjectAfterFailures) return;
  size_t ejected = 0;
  for (const config::EndpointAddress& other : cluster.endpoints) {
    if (Ejected(other, now)) ++ejected;
  }
  if ((ejected + 1) * 2 > cluster.endpoints.size()) return;  // never more than half out
  ++state.ejections;
  state.consecutive_failures = 0;
  absl::Duration ejection = kBaseEjection * state.ejections;
  state.ejected_until = now + ejection;
  LOG_INFO("endpoint ", endpoint.Key(), " of ", cluster.name, " ejected for ",
           absl::FormatDuration(ejection), " after ", kEjectAfterFailures, " consecutive failures");
}

void LoadBalancer::OnConfigUpdate(const config::DataplaneConfig& config) {
  for (auto it = endpoints_.begin(); it != endpoints_.end();) {
    auto current = it++;
    if (current->second.active_requests == 0 && !config.HasEndpoint(current->first)) {
      endpoints_.erase(current);
    }
  }
}

}  // namespace gatehouse::dataplane::upstream
