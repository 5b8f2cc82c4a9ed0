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

}  // namespace
}  // namespace gatehouse
