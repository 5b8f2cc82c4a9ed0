// How many of a worker's exchanges of one kind (side requests, mirror copies) each cluster holds,
// so that a kind's per-worker bound is shared: one cluster (one tenant's slow service) may hold
// at most a fixed part of it, and the others keep theirs. Loop thread only.
#pragma once

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::proxy {

class ClusterShares {
 public:
  explicit ClusterShares(size_t per_cluster) : per_cluster_(per_cluster) {}

  size_t count(absl::string_view cluster) const {
    auto it = counts_.find(cluster);
    return it == counts_.end() ? 0 : it->second;
  }
  // Whether `cluster` holds its whole share.
  bool Full(absl::string_view cluster) const { return count(cluster) >= per_cluster_; }
  void Add(const std::string& cluster) { ++counts_[cluster]; }
  void Remove(const std::string& cluster) {
    auto it = counts_.find(cluster);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
  }

 private:
  size_t per_cluster_;
  absl::flat_hash_map<std::string, size_t> counts_;  // no entry: none
};

}  // namespace gatehouse::dataplane::proxy
