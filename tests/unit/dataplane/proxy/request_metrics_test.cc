// Requests by route. Reference: ingress-nginx's documented request metrics
// (nginx_ingress_controller_requests, _request_duration_seconds, _request_size,
// _response_size, with the labels ingress, namespace, service, status, method and host). Here:
// the workers' counts merge at a scrape, every label comes from the config or a fixed set, and a
// series goes with the last config that names its Ingress.
#include "dataplane/proxy/request_metrics.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::proxy {
namespace {

using router::RequestLabels;

std::string Scrape() {
  MetricsRegistry out;
  RequestMetrics::CollectAll(out);
  return out.RenderPrometheus();
}

constexpr char kWeb200[] =
    "gatehouse_ingress_requests{host=\"a.test\",ingress=\"web\",method=\"GET\",namespace=\"shop\","
    "service=\"web-svc\",status=\"200\"} 3\n";

TEST(RequestLabelsTest, TheSameLabelsAreOneObjectWhileAConfigNamesThem) {
  std::shared_ptr<const RequestLabels> one =
      RequestLabels::Intern("shop/web", "shop/web-svc:80", "a.test");
  EXPECT_EQ(one->ingress, "web");
  EXPECT_EQ(one->namespace_, "shop");
  EXPECT_EQ(one->service, "web-svc");
  EXPECT_EQ(one->host, "a.test");
  EXPECT_EQ(RequestLabels::Intern("shop/web", "shop/web-svc:8080", "a.test"), one);
  EXPECT_NE(RequestLabels::Intern("shop/web", "shop/web-svc:80", "b.test"), one);
  std::shared_ptr<const RequestLabels> none = RequestLabels::Intern("", "", "");
  EXPECT_EQ(none->ingress, "");
  EXPECT_EQ(none->service, "");
}

TEST(RequestMetricsTest, TheWorkersCountsMergeAtAScrape) {
  auto labels = RequestLabels::Intern("shop/web", "shop/web-svc:80", "a.test");
  RequestMetrics first, second;
  first.Record(labels, "GET", 200, absl::Milliseconds(30), 0, 120);
  first.Record(labels, "GET", 200, absl::Milliseconds(3), 0, 5);
  second.Record(labels, "GET", 200, absl::Seconds(20), 0, 20000);
  second.Record(labels, "POST", 503, absl::Milliseconds(1), 700, 10);
  std::string text = Scrape();
  EXPECT_TRUE(absl::StrContains(text, kWeb200)) << text;
  EXPECT_TRUE(absl::StrContains(
      text,
      "gatehouse_ingress_requests{host=\"a.test\",ingress=\"web\",method=\"POST\","
      "namespace=\"shop\",service=\"web-svc\",status=\"503\"} 1\n"))
      << text;
  // Durations: one under 5 ms, one under 50 ms, one past 10 s.
  std::string series =
      "host=\"a.test\",ingress=\"web\",le=\"%s\",method=\"GET\",namespace=\"shop\","
      "service=\"web-svc\",status=\"200\"";
  auto bucket = [&](const char* le, int count) {
    std::string name = series;
    name.replace(name.find("%s"), 2, le);
    return absl::StrCat("gatehouse_ingress_request_duration_seconds_bucket{", name, "} ", count,
                        "\n");
  };
  EXPECT_TRUE(absl::StrContains(text, bucket("0.005", 1))) << text;
  EXPECT_TRUE(absl::StrContains(text, bucket("0.05", 2))) << text;
  EXPECT_TRUE(absl::StrContains(text, bucket("10", 2))) << text;
  EXPECT_TRUE(absl::StrContains(text, bucket("+Inf", 3))) << text;
  // Response sizes: 5 and 120 bytes, and 20,000.
  EXPECT_TRUE(absl::StrContains(
      text,
      "gatehouse_ingress_response_size_sum{host=\"a.test\",ingress=\"web\",method=\"GET\","
      "namespace=\"shop\",service=\"web-svc\",status=\"200\"} 20125\n"))
      << text;
}

TEST(RequestMetricsTest, MethodsAndStatusesComeFromAFixedSet) {
  auto labels = RequestLabels::Intern("shop/web", "shop/web-svc:80", "a.test");
  RequestMetrics metrics;
  metrics.Record(labels, "BREW", 200, absl::Milliseconds(1), 0, 0);
  metrics.Record(labels, "get", 200, absl::Milliseconds(1), 0, 0);  // methods are case-sensitive
  metrics.Record(labels, "GET", 0, absl::Milliseconds(1), 0, 0);    // no answer: nginx's 499
  std::string text = Scrape();
  EXPECT_TRUE(absl::StrContains(text,
                                "method=\"OTHER\",namespace=\"shop\",service=\"web-svc\","
                                "status=\"200\"} 2\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(text,
                                "method=\"GET\",namespace=\"shop\",service=\"web-svc\","
                                "status=\"499\"} 1\n"))
      << text;
  EXPECT_FALSE(absl::StrContains(text, "BREW"));
}

TEST(RequestMetricsTest, ASeriesGoesWhenNoConfigNamesItsIngress) {
  RequestMetrics metrics;
  {
    auto gone = RequestLabels::Intern("old/site", "old/site:80", "old.test");
    metrics.Record(gone, "GET", 200, absl::Milliseconds(1), 0, 0);
    EXPECT_TRUE(absl::StrContains(Scrape(), "host=\"old.test\""));
  }
  EXPECT_FALSE(absl::StrContains(Scrape(), "host=\"old.test\""));
}

TEST(RequestMetricsTest, AGoneWorkerCountsNoMore) {
  auto labels = RequestLabels::Intern("shop/web", "shop/web-svc:80", "gone-worker.test");
  {
    RequestMetrics metrics;
    metrics.Record(labels, "GET", 200, absl::Milliseconds(1), 0, 0);
    EXPECT_TRUE(absl::StrContains(Scrape(), "host=\"gone-worker.test\""));
  }
  EXPECT_FALSE(absl::StrContains(Scrape(), "host=\"gone-worker.test\""));
}

}  // namespace
}  // namespace gatehouse::dataplane::proxy
