#include "dataplane/proxy/request_metrics.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::dataplane::proxy {
namespace {

// RFC 9110's methods and PATCH (RFC 5789); anything else is OTHER.
constexpr std::array<absl::string_view, 10> kMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "OTHER"};

uint8_t MethodIndex(absl::string_view method) {
  for (size_t i = 0; i + 1 < kMethods.size(); ++i) {
    if (method == kMethods[i]) return static_cast<uint8_t>(i);
  }
  return static_cast<uint8_t>(kMethods.size() - 1);
}

template <size_t N>
void Observe(std::array<uint64_t, N + 1>& counts, const std::array<double, N>& bounds, double value,
             double& sum) {
  value = std::max(0.0, value);  // a clock that stepped back
  ++counts[std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin()];
  sum += value;
}

template <size_t N>
std::vector<double> Bounds(const std::array<double, N>& bounds) {
  return std::vector<double>(bounds.begin(), bounds.end());
}

struct Live {
  absl::Mutex mutex;
  absl::flat_hash_set<RequestMetrics*> all ABSL_GUARDED_BY(mutex);
};

Live& TheLive() {
  static Live* live = [] {
    MetricsRegistry::Global().AddCollector(RequestMetrics::CollectAll);
    return new Live;
  }();
  return *live;
}

}  // namespace

RequestMetrics::RequestMetrics() {
  Live& live = TheLive();
  absl::MutexLock lock(&live.mutex);
  live.all.insert(this);
}

RequestMetrics::~RequestMetrics() {
  Live& live = TheLive();
  absl::MutexLock lock(&live.mutex);
  live.all.erase(this);
}

void RequestMetrics::Record(const std::shared_ptr<const router::RequestLabels>& labels,
                            absl::string_view method, int status, absl::Duration duration,
                            uint64_t request_bytes, uint64_t response_bytes) {
  if (status <= 0 || status > 999) status = 499;
  Key key{labels.get(), static_cast<uint16_t>(status), MethodIndex(method)};
  absl::MutexLock lock(&mutex_);
  Cell& cell = cells_[key];
  // A cell of labels gone whose address new labels took: their series starts anew.
  if (cell.labels.expired()) cell = Cell{labels};
  ++cell.requests;
  Observe(cell.duration, kDurationBounds, absl::ToDoubleSeconds(duration), cell.duration_sum);
  Observe(cell.request_size, kSizeBounds, static_cast<double>(request_bytes),
          cell.request_size_sum);
  Observe(cell.response_size, kSizeBounds, static_cast<double>(response_bytes),
          cell.response_size_sum);
}

void RequestMetrics::CollectAll(MetricsRegistry& out) {
  Live& live = TheLive();
  absl::MutexLock lock(&live.mutex);
  for (RequestMetrics* metrics : live.all) metrics->CollectInto(out);
}

void RequestMetrics::CollectInto(MetricsRegistry& out) {
  // Copied under the lock, formatted after it: a worker's Record() waits for the copy only.
  std::vector<std::pair<Key, Cell>> cells;
  {
    absl::MutexLock lock(&mutex_);
    // The series of Ingresses gone from every config go.
    absl::erase_if(cells_, [](const auto& cell) { return cell.second.labels.expired(); });
    cells.assign(cells_.begin(), cells_.end());
  }
  const std::vector<double> duration_bounds = Bounds(kDurationBounds);
  const std::vector<double> size_bounds = Bounds(kSizeBounds);
  for (const auto& [key, cell] : cells) {
    std::shared_ptr<const router::RequestLabels> labels = cell.labels.lock();
    if (labels == nullptr) continue;  // gone just now
    MetricLabels series = {{"host", labels->host},
                           {"ingress", labels->ingress},
                           {"namespace", labels->namespace_},
                           {"service", labels->service},
                           {"method", std::string(kMethods[key.method])},
                           {"status", absl::StrCat(key.status)}};
    out.GetCounter("gatehouse_ingress_requests", "Requests answered, by route.", series)
        ->Increment(cell.requests);
    out.GetHistogram("gatehouse_ingress_request_duration_seconds",
                     "From a request's head to its end, in seconds.", duration_bounds, series)
        ->Merge(cell.duration.data(), cell.duration_sum);
    out.GetHistogram("gatehouse_ingress_request_size", "Request body bytes.", size_bounds, series)
        ->Merge(cell.request_size.data(), cell.request_size_sum);
    out.GetHistogram("gatehouse_ingress_response_size", "Response body bytes.", size_bounds, series)
        ->Merge(cell.response_size.data(), cell.response_size_sum);
  }
}

}  // namespace gatehouse::dataplane::proxy
