#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace gatehouse {
namespace {

std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ",";
    first = false;
    absl::StrAppend(&out, key, "=\"",
                    absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}),
                    "\"");
  }
  return out + "}";
}

// A double in the fewest digits that read back as the same value (absl::StrCat keeps six: a
// sum of bytes past a billion would move in steps of a thousand).
std::string Exact(double value) {
  char text[32];
  std::to_chars_result end = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, end.ptr);
}

void AddToSum(std::atomic<double>& sum, double value) {
  double old = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AddToSum(sum_, std::max(0.0, value));
}

void Histogram::Merge(const uint64_t* counts, double sum) {
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    counts_[i].fetch_add(counts[i], std::memory_order_relaxed);
  }
  AddToSum(sum_, sum);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) counts[i] = counts_[i].load(std::memory_order_relaxed);
  return counts;
}

double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(const std::string& name,
                                                    const std::string& help, const char* type) {
  Family& family = families_[name];
  if (family.type.empty()) {
    family.help = help;
    family.type = type;
  }
  return family;
}

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const MetricLabels& labels) {
  absl::MutexLock lock(&mutex_);
  std::unique_ptr<Counter>& slot = FamilyFor(name, help, "counter").counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const MetricLabels& labels) {
  absl::MutexLock lock(&mutex_);
  std::unique_ptr<Gauge>& slot = FamilyFor(name, help, "gauge").gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> bounds, const MetricLabels& labels) {
  absl::MutexLock lock(&mutex_);
  std::unique_ptr<Histogram>& slot = FamilyFor(name, help, "histogram").histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return slot.get();
}

void MetricsRegistry::AddCallbackGauge(const std::string& name, const std::string& help,
                                       std::function<double()> read) {
  absl::MutexLock lock(&mutex_);
  FamilyFor(name, help, "gauge").callback = std::move(read);
}

void MetricsRegistry::AddCollector(std::function<void(MetricsRegistry& out)> collect) {
  absl::MutexLock lock(&mutex_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::vector<std::function<void(MetricsRegistry&)>> collectors;
  {
    absl::MutexLock lock(&mutex_);
    collectors = collectors_;
  }
  std::string out = RenderFamilies();
  for (const auto& collect : collectors) {
    MetricsRegistry collected;
    collect(collected);
    out += collected.RenderFamilies();
  }
  return out;
}

std::string MetricsRegistry::RenderFamilies() const {
  absl::MutexLock lock(&mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    absl::StrAppend(&out, "# HELP ", name, " ", family.help, "\n# TYPE ", name, " ", family.type,
                    "\n");
    for (const auto& [labels, counter] : family.counters) {
      absl::StrAppend(&out, name, RenderLabels(labels), " ", counter->value(), "\n");
    }
    for (const auto& [labels, gauge] : family.gauges) {
      absl::StrAppend(&out, name, RenderLabels(labels), " ", gauge->value(), "\n");
    }
    for (const auto& [labels, histogram] : family.histograms) {
      std::vector<uint64_t> counts = histogram->BucketCounts();
      uint64_t cumulative = 0;
      for (size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        MetricLabels with_le = labels;
        with_le["le"] = i < histogram->bounds().size() ? absl::StrCat(histogram->bounds()[i])
                                                       : std::string("+Inf");
        absl::StrAppend(&out, name, "_bucket", RenderLabels(with_le), " ", cumulative, "\n");
      }
      absl::StrAppend(&out, name, "_sum", RenderLabels(labels), " ", Exact(histogram->sum()), "\n");
      absl::StrAppend(&out, name, "_count", RenderLabels(labels), " ", cumulative, "\n");
    }
    if (family.callback) absl::StrAppend(&out, name, " ", family.callback(), "\n");
  }
  return out;
}

}  // namespace gatehouse
