#include "common/metrics.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(MetricsRegistryTest, RendersPrometheusText) {
  MetricsRegistry registry;
  registry.GetCounter("requests_total", "Requests.", {{"code", "200"}})->Increment(3);
  registry.GetCounter("requests_total", "Requests.", {{"code", "404"}})->Increment();
  registry.GetGauge("connections", "Open connections.")->Set(7);
  registry.AddCallbackGauge("ready", "Ready.", [] { return 1.0; });
  std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("requests_total{code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("requests_total{code=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("connections 7\n"), std::string::npos);
  EXPECT_NE(text.find("ready 1\n"), std::string::npos);
}

TEST(MetricsRegistryTest, SameNameAndLabelsIsSameCounter) {
  MetricsRegistry registry;
  Counter* a = registry.GetCounter("x_total", "X.", {{"k", "v"}});
  Counter* b = registry.GetCounter("x_total", "X.", {{"k", "v"}});
  EXPECT_EQ(a, b);
}

TEST(MetricsRegistryTest, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.GetCounter("y_total", "Y.", {{"path", "a\"b"}})->Increment();
  EXPECT_NE(registry.RenderPrometheus().find("y_total{path=\"a\\\"b\"} 1"), std::string::npos);
}

TEST(MetricsRegistryTest, HistogramRendersCumulativeBuckets) {
  MetricsRegistry registry;
  Histogram* histogram =
      registry.GetHistogram("busy_seconds", "Busy.", {0.001, 0.01}, {{"worker", "0"}});
  histogram->Observe(0.0005);
  histogram->Observe(0.001);  // on a bound: that bucket
  histogram->Observe(0.005);
  histogram->Observe(2);
  EXPECT_EQ(histogram->BucketCounts(), (std::vector<uint64_t>{2, 1, 1}));
  std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE busy_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("busy_seconds_bucket{le=\"0.001\",worker=\"0\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("busy_seconds_bucket{le=\"0.01\",worker=\"0\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("busy_seconds_bucket{le=\"+Inf\",worker=\"0\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("busy_seconds_sum{worker=\"0\"} 2.0065\n"), std::string::npos);
  EXPECT_NE(text.find("busy_seconds_count{worker=\"0\"} 4\n"), std::string::npos);
}

// A histogram's sum keeps every digit a double has: a sum of bytes past a billion still moves
// by each request's size, and a negative observation (a clock that stepped back) adds nothing.
TEST(MetricsRegistryTest, HistogramSumsAreExact) {
  MetricsRegistry registry;
  Histogram* sizes = registry.GetHistogram("size_bytes", "Sizes.", {10, 100});
  sizes->Observe(1234567890);
  sizes->Observe(1);
  sizes->Observe(-5);
  EXPECT_NE(registry.RenderPrometheus().find("size_bytes_sum 1234567891\n"), std::string::npos)
      << registry.RenderPrometheus();
}

// Collectors add families kept elsewhere, merged at each render.
TEST(MetricsRegistryTest, CollectorsAreRenderedAfterTheFamilies) {
  MetricsRegistry registry;
  registry.GetCounter("own_total", "Own.")->Increment(2);
  int renders = 0;
  registry.AddCollector([&](MetricsRegistry& out) {
    ++renders;
    out.GetCounter("kept_total", "Kept elsewhere.", {{"worker", "0"}})->Increment(3);
    out.GetCounter("kept_total", "Kept elsewhere.", {{"worker", "0"}})->Increment(4);
    const uint64_t counts[] = {1, 0, 2};
    out.GetHistogram("kept_seconds", "Kept.", {1, 2})->Merge(counts, 7.5);
  });
  std::string text = registry.RenderPrometheus();
  EXPECT_EQ(renders, 1);
  EXPECT_NE(text.find("own_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kept_total{worker=\"0\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kept_seconds_bucket{le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kept_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kept_seconds_sum 7.5\n"), std::string::npos) << text;
  EXPECT_LT(text.find("own_total"), text.find("kept_total"));
}

}  // namespace
}  // namespace gatehouse
