// A registry of counters, gauges and histograms, rendered in the Prometheus text format for
// /metrics.
//
// Metrics are created once (at start-up or when a worker starts) and updated lock-free; the
// registry's lock is taken only to create a metric or to render.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace gatehouse {

using MetricLabels = std::map<std::string, std::string>;

class Counter {
 public:
  void Increment(uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Counts observations into buckets with fixed upper bounds, as a Prometheus histogram.
class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending; a last bucket (+Inf) takes the rest.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);
  // Adds counts already bucketed by the same bounds (bounds().size() + 1 of them, not
  // cumulative) and their sum: another histogram's, merged.
  void Merge(const uint64_t* counts, double sum);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations in each bucket (not cumulative); bounds().size() + 1 entries.
  std::vector<uint64_t> BucketCounts() const;
  double sum() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

class MetricsRegistry {
 public:
  // The registry the processes' /metrics endpoint renders.
  static MetricsRegistry& Global();

  // Returns the counter with this name and labels, creating it on first use. The pointer lives
  // as long as the registry.
  Counter* GetCounter(const std::string& name, const std::string& help,
                      const MetricLabels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help,
                  const MetricLabels& labels = {});
  // `bounds` is used when the histogram is created; later calls get the existing one.
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds, const MetricLabels& labels = {});
  // A gauge whose value is read from `read` at render time.
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> read);

  // Runs `collect` at each render, into a registry of its own rendered after this one's
  // families: for metrics kept elsewhere (per worker) and merged only when scraped. Its families
  // must have names of their own.
  void AddCollector(std::function<void(MetricsRegistry& out)> collect);

  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::string type;  // "counter", "gauge" or "histogram"
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
    std::function<double()> callback;
  };
  Family& FamilyFor(const std::string& name, const std::string& help, const char* type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::string RenderFamilies() const;

  mutable absl::Mutex mutex_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::function<void(MetricsRegistry&)>> collectors_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gatehouse
