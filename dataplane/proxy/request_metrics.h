// Requests by route, for /metrics: what ingress-nginx's request metrics count, under the same
// names with the prefix gatehouse_ingress_ for nginx_ingress_controller_ (docs/metrics.md), with
// the labels host, ingress, method, namespace, service and status:
// - gatehouse_ingress_requests: requests answered (a counter);
// - gatehouse_ingress_request_duration_seconds: from the request's head to its end (a histogram
//   with Prometheus's default buckets, as ingress-nginx's);
// - gatehouse_ingress_request_size and gatehouse_ingress_response_size: body bytes each way.
//
// Every label comes from the config (router::RequestLabels) or is one of a fixed set (the
// method: the nine of RFC 9110 and PATCH, else OTHER; the status: three digits), so no client
// can make a series. Each worker counts in its own RequestMetrics, under a lock only a scrape
// contends for; a scrape merges the workers' counts. Loop thread only, but CollectAll.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "dataplane/router/request_labels.h"

namespace gatehouse::dataplane::proxy {

class RequestMetrics {
 public:
  // Prometheus's default buckets, as ingress-nginx's request_duration_seconds.
  static constexpr std::array<double, 11> kDurationBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1,    2.5,   5,    10};
  // ingress-nginx's size buckets: 10 bytes to 10 MB by tens.
  static constexpr std::array<double, 7> kSizeBounds = {10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};

  // Registers the worker's counts with the global registry's scrape until destroyed.
  RequestMetrics();
  ~RequestMetrics();
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // One request's end. `status` 0 (no response was sent: the client went away) counts as 499,
  // as nginx logs it.
  void Record(const std::shared_ptr<const router::RequestLabels>& labels, absl::string_view method,
              int status, absl::Duration duration, uint64_t request_bytes, uint64_t response_bytes);

  // Adds every live worker's counts to `out`, series of the same labels summed, and forgets the
  // series whose labels no config names any more. Any thread.
  static void CollectAll(MetricsRegistry& out);

 private:
  struct Key {
    const router::RequestLabels* labels;
    uint16_t status;
    uint8_t method;
    bool operator==(const Key& other) const {
      return labels == other.labels && status == other.status && method == other.method;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& key) {
      return H::combine(std::move(h), key.labels, key.status, key.method);
    }
  };
  struct Cell {
    std::weak_ptr<const router::RequestLabels> labels;
    uint64_t requests = 0;
    std::array<uint64_t, kDurationBounds.size() + 1> duration{};
    double duration_sum = 0;
    std::array<uint64_t, kSizeBounds.size() + 1> request_size{};
    double request_size_sum = 0;
    std::array<uint64_t, kSizeBounds.size() + 1> response_size{};
    double response_size_sum = 0;
  };
  void CollectInto(MetricsRegistry& out);

  absl::Mutex mutex_;
  absl::flat_hash_map<Key, Cell> cells_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gatehouse::dataplane::proxy
