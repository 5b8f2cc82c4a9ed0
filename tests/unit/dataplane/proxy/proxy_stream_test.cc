// ProxyStream against fakes: a recording downstream encoder and an upstream connector the test
// plays, on a real event loop (timers are real; the short timeouts below keep waits brief).
#include "dataplane/proxy/proxy_stream.h"

#include <chrono>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/path_regex.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"
#include "tests/unit/dataplane/fakes/fake_response_encoder.h"
#include "tests/unit/dataplane/fakes/fake_upstream.h"
#include "tests/unit/dataplane/fakes/test_config.h"
#include "tests/unit/dataplane/fakes/test_worker.h"

namespace gatehouse::dataplane::proxy {
namespace {

using fakes::FakeResponseEncoder;
using fakes::FakeUpstreamConnector;
using fakes::FakeUpstreamStream;

constexpr char kCluster[] = "default/web:80";

// The first value of `name` in `headers`, or "(none)".
std::string Header(const http::HeaderMap& headers, absl::string_view name) {
  const std::string* value = headers.Get(name);
  return value != nullptr ? *value : "(none)";
}

// A filter that holds the request at its head until the test lets it go: what an external
// auth call does. A config with no filter set compiles to it here.
class HoldingFilter : public filters::Filter {
 public:
  static inline HoldingFilter* last = nullptr;
  HoldingFilter() { last = this; }
  ~HoldingFilter() override {
    if (last == this) last = nullptr;
  }
  filters::FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override {
    head.headers.Add("x-held", "yes");
    return filters::FilterStatus::kStop;
  }
  filters::FilterStatus OnRequestData(absl::string_view data, bool end_stream) override {
    data_seen.append(data.data(), data.size());
    return filters::FilterStatus::kContinue;
  }
  void Release() { callbacks().ContinueRequest(); }
  void Deny() { callbacks().SendLocalReply(403, "denied"); }
  std::string data_seen;
};

absl::StatusOr<std::shared_ptr<const filters::FilterFactory>> CompileWithHolding(
    const v1::Filter& filter) {
  class Factory : public filters::FilterFactory {
    std::unique_ptr<filters::Filter> Create() const override {
      return std::make_unique<HoldingFilter>();
    }
  };
  if (filter.config_case() == v1::Filter::CONFIG_NOT_SET) return std::make_shared<Factory>();
  return filters::CompileFilter(filter);
}

// a.test: "/" to the cluster with the route's filters; "/limited" with a 10-byte body limit.
// secure.test: HTTPS-only, no routes, HSTS. Anything else: no host.
v1::RouteConfiguration Routes(std::vector<v1::Filter> root_filters = {}) {
  v1::RouteConfiguration routes;
  routes.set_name("http");
  v1::VirtualHost* a = routes.add_virtual_hosts();
  a->set_name("a.test");
  a->add_domains("a.test");
  v1::Route* limited = a->add_routes();
  limited->mutable_match()->set_path_type(v1::RouteMatch::PREFIX);
  limited->mutable_match()->set_path("/limited");
  limited->set_cluster(kCluster);
  limited->add_filters()->mutable_request_body_limit()->set_max_bytes(10);
  v1::Route* root = a->add_routes();
  root->set_source("default/web");
  root->mutable_match()->set_path_type(v1::RouteMatch::PREFIX);
  root->mutable_match()->set_path("/");
  root->set_cluster(kCluster);
  for (const v1::Filter& filter : root_filters) *root->add_filters() = filter;
  v1::VirtualHost* secure = routes.add_virtual_hosts();
  secure->set_name("secure.test");
  secure->add_domains("secure.test");
  secure->add_filters()->mutable_strict_transport_security()->set_value("max-age=5");
  return routes;
}

class ProxyStreamTest : public ::testing::Test, public ProxyStream::Owner {
 protected:
  using Worker = fakes::TestWorker;

  void SetUp() override {
    settings_.upstream_connect_timeout = absl::Milliseconds(50);
    settings_.upstream_response_timeout = absl::Milliseconds(50);
    OnLoop([&] { worker_ = std::make_unique<Worker>(loop_.dispatcher(), upstreams_, settings_); });
  }
  void TearDown() override {
    loop_.Stop([&] {
      stream_.reset();
      worker_.reset();
    });
  }

  void OnLoop(std::function<void()> fn) { loop_.RunOnLoop(std::move(fn)); }
  // The worker again, with `settings_` as the test changed them.
  void NewWorker() {
    OnLoop([&] {
      stream_.reset();
      worker_ = std::make_unique<Worker>(loop_.dispatcher(), upstreams_, settings_);
    });
  }
  static void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  // A new stream on `clusters`' config (`kCluster` with two endpoints by default).
  void NewStream(const v1::RouteConfiguration& routes, const char* scheme = "http",
                 fakes::TestClusters clusters = {{kCluster, {{"10.0.0.1", 80}, {"10.0.0.2", 80}}}},
                 filters::FilterCompiler compile = CompileWithHolding,
                 const char* client_ip = "192.0.2.7") {
    std::shared_ptr<const config::DataplaneConfig> config =
        fakes::BuildTestConfig(routes, clusters, compile);
    ASSERT_NE(config, nullptr);
    OnLoop([&] {
      worker_->balancer.OnConfigUpdate(*config);
      stream_ = std::make_unique<ProxyStream>(worker_->context, *this, encoder_, config,
                                              filters::DownstreamInfo{scheme, 8080, client_ip});
    });
  }

  void Send(absl::string_view method, absl::string_view host, absl::string_view target,
            bool end_stream = true, uint64_t content_length = 0) {
    http::RequestHead head;
    head.method = std::string(method);
    head.authority = std::string(host);
    head.target = std::string(target);
    if (content_length > 0) {
      head.framing = http::BodyFraming::kContentLength;
      head.content_length = content_length;
    }
    OnLoop([&] { stream_->DecodeHeaders(std::move(head), end_stream); });
  }

  // Waits (on real timers) until `done` holds on the loop, up to a few seconds.
  bool WaitFor(std::function<bool()> done) {
    for (int i = 0; i < 500; ++i) {
      bool ok = false;
      OnLoop([&] { ok = done(); });
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  int status() const { return encoder_.head.has_value() ? encoder_.head->status : 0; }

  // Before the loop: exchanges the loop deletes late still find their connector.
  FakeUpstreamConnector upstreams_;
  event::RunningDispatcher loop_;
  ProxySettings settings_;
  std::unique_ptr<Worker> worker_;
  FakeResponseEncoder encoder_;
  std::unique_ptr<ProxyStream> stream_;
  int done_ = 0;

 private:
  void OnStreamDone(ProxyStream& stream) override { ++done_; }
};

TEST_F(ProxyStreamTest, ForwardsAndHandsTheConnectionBackAfterACompleteExchange) {
  NewStream(Routes({[] {
    v1::Filter f;
    f.mutable_forwarding_headers();
    return f;
  }()}));
  Send("GET", "a.test", "/x?y=1");
  FakeUpstreamStream* upstream = upstreams_.last();
  ASSERT_NE(upstream, nullptr);
  EXPECT_FALSE(upstream->head.has_value());  // not before the connection is ready
  OnLoop([&] { upstream->Connected(); });
  ASSERT_TRUE(upstream->head.has_value());
  EXPECT_EQ(upstream->head->target, "/x?y=1");
  EXPECT_EQ(Header(upstream->head->headers, "x-forwarded-for"), "192.0.2.7");
  EXPECT_TRUE(upstream->request_ended);
  OnLoop([&] { upstream->Respond(200, "hello"); });
  EXPECT_EQ(status(), 200);
  EXPECT_EQ(encoder_.body, "hello");
  EXPECT_TRUE(encoder_.ended);
  EXPECT_EQ(Header(encoder_.head->headers, "server"), "gatehouse");
  EXPECT_EQ(done_, 1);
  EXPECT_EQ(upstreams_.released, 1);
}

TEST_F(ProxyStreamTest, ConnectionIsReusedOnlyAfterAWholeRequestAndResponse) {
  upstreams_.reuse = true;
  NewStream(Routes());
  // The response ends while the request body is still coming: the upstream never read it all.
  Send("POST", "a.test", "/", /*end_stream=*/false, 10);
  OnLoop([&] { upstreams_.last()->Respond(400, "no"); });
  EXPECT_EQ(status(), 400);
  EXPECT_EQ(upstreams_.released, 0);

  // A switched protocol ends with its connection.
  encoder_ = FakeResponseEncoder();
  NewStream(Routes());
  Send("GET", "a.test", "/ws");
  OnLoop([&] {
    http::ResponseHead head;
    head.status = 101;
    head.upgrade = "websocket";
    upstreams_.last()->decoder()->DecodeResponseHeaders(std::move(head), false);
    upstreams_.last()->decoder()->DecodeResponseData("bye", true);
  });
  EXPECT_EQ(status(), 101);
  EXPECT_EQ(upstreams_.released, 0);
}

TEST_F(ProxyStreamTest, LocalRepliesWhenItCannotForward) {
  struct Case {
    const char* host;
    const char* target;
    fakes::TestClusters clusters;
    int status;
  };
  const Case cases[] = {
      {"b.test", "/", {{kCluster, {{"10.0.0.1", 80}}}}, 404},       // no such host
      {"secure.test", "/", {{kCluster, {{"10.0.0.1", 80}}}}, 404},  // host, no route
      {"a.test", "/", {{kCluster, {}}}, 503},                       // no endpoint
  };
  for (const Case& c : cases) {
    encoder_ = FakeResponseEncoder();
    NewStream(Routes(), "http", c.clusters);
    Send("GET", c.host, c.target);
    EXPECT_EQ(status(), c.status) << c.host;
    EXPECT_TRUE(encoder_.ended);
    EXPECT_TRUE(upstreams_.acquired.empty());
  }
}

TEST_F(ProxyStreamTest, HostFiltersRunOnLocalRepliesToo) {
  NewStream(Routes(), "https");
  Send("GET", "secure.test", "/");
  EXPECT_EQ(status(), 404);
  EXPECT_EQ(Header(encoder_.head->headers, "strict-transport-security"), "max-age=5");
}

TEST_F(ProxyStreamTest, ConnectFailureIsRetriedOnceOnAnotherEndpoint) {
  NewStream(Routes());
  Send("GET", "a.test", "/");
  ASSERT_EQ(upstreams_.acquired.size(), 1u);
  OnLoop([&] { upstreams_.last()->Connected(absl::UnavailableError("refused")); });
  ASSERT_EQ(upstreams_.acquired.size(), 2u);
  EXPECT_NE(upstreams_.acquired[0], upstreams_.acquired[1]);
  OnLoop([&] { upstreams_.last()->Connected(absl::UnavailableError("refused")); });
  EXPECT_EQ(upstreams_.acquired.size(), 2u);  // one retry only
  EXPECT_EQ(status(), 502);
}

TEST_F(ProxyStreamTest, UnusableAddressIs502) {
  upstreams_.acquire_error = absl::InvalidArgumentError("bad address");
  NewStream(Routes());
  Send("GET", "a.test", "/");
  EXPECT_EQ(status(), 502);
}

TEST_F(ProxyStreamTest, ConnectTimeoutIs504) {
  NewStream(Routes(), "http", {{kCluster, {{"10.0.0.1", 80}}}});
  Send("GET", "a.test", "/");
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 504);
  EXPECT_EQ(upstreams_.destroyed, 1);
  EXPECT_EQ(upstreams_.released, 0);
}

TEST_F(ProxyStreamTest, ResponseTimeoutIs504AndDropsTheConnection) {
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("GET", "a.test", "/");
  ASSERT_TRUE(upstreams_.last()->head.has_value());
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 504);
  EXPECT_EQ(upstreams_.released, 0);
  EXPECT_TRUE(WaitFor([&] { return upstreams_.live.empty(); }));
}

TEST_F(ProxyStreamTest, ClosedKeepAliveConnectionIsRetriedForIdempotentBodilessRequests) {
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("GET", "a.test", "/");
  OnLoop([&] { upstreams_.last()->decoder()->OnUpstreamReset("closed by peer"); });
  ASSERT_EQ(upstreams_.acquired.size(), 2u);
  EXPECT_EQ(upstreams_.acquired[0], upstreams_.acquired[1]);  // the same endpoint
  OnLoop([&] { upstreams_.last()->Respond(204, ""); });
  EXPECT_EQ(status(), 204);
}

TEST_F(ProxyStreamTest, NonIdempotentRequestIsNotRetriedAfterAReset) {
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("POST", "a.test", "/");
  OnLoop([&] { upstreams_.last()->decoder()->OnUpstreamReset("closed by peer"); });
  EXPECT_EQ(upstreams_.acquired.size(), 1u);
  EXPECT_EQ(status(), 502);
}

TEST_F(ProxyStreamTest, ResetAfterTheResponseStartedResetsTheClientsStream) {
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("GET", "a.test", "/");
  OnLoop([&] {
    upstreams_.last()->Respond(200, "part", /*end=*/false);
    upstreams_.last()->decoder()->OnUpstreamReset("broke");
  });
  EXPECT_EQ(status(), 200);
  EXPECT_TRUE(encoder_.reset.has_value());
  EXPECT_EQ(done_, 1);
}

TEST_F(ProxyStreamTest, BodyWaitsForTheConnectionThenGoesUp) {
  NewStream(Routes());
  Send("POST", "a.test", "/", /*end_stream=*/false, 6);
  OnLoop([&] { stream_->DecodeData("abc", false); });
  OnLoop([&] { stream_->DecodeData("def", true); });
  FakeUpstreamStream* upstream = upstreams_.last();
  EXPECT_FALSE(upstream->head.has_value());
  OnLoop([&] { upstream->Connected(); });
  EXPECT_EQ(upstream->body, "abcdef");
  EXPECT_TRUE(upstream->request_ended);
}

TEST_F(ProxyStreamTest, BackpressureBothWays) {
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("POST", "a.test", "/", /*end_stream=*/false, 100);
  FakeUpstreamStream* upstream = upstreams_.last();
  upstream->write_blocked = true;
  OnLoop([&] { stream_->DecodeData("0123456789", false); });
  EXPECT_TRUE(encoder_.request_body_paused);
  upstream->write_blocked = false;
  OnLoop([&] { stream_->OnUpstreamWritable(); });
  EXPECT_FALSE(encoder_.request_body_paused);

  encoder_.write_blocked = true;
  OnLoop([&] { upstream->Respond(200, "first", /*end=*/false); });
  EXPECT_TRUE(upstream->response_body_paused);
  encoder_.write_blocked = false;
  OnLoop([&] { stream_->OnDownstreamWritable(); });
  EXPECT_FALSE(upstream->response_body_paused);
}

TEST_F(ProxyStreamTest, BodyLimitFromTheHeadNeverConnects) {
  NewStream(Routes());
  Send("POST", "a.test", "/limited", /*end_stream=*/false, 11);
  EXPECT_EQ(status(), 413);
  EXPECT_TRUE(upstreams_.acquired.empty());
}

TEST_F(ProxyStreamTest, BodyLimitMidBodyDropsTheHalfSentRequest) {
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("POST", "a.test", "/limited", /*end_stream=*/false);
  OnLoop([&] { stream_->DecodeData("0123456789", false); });
  EXPECT_EQ(upstreams_.last()->body, "0123456789");
  OnLoop([&] { stream_->DecodeData("x", false); });
  EXPECT_EQ(status(), 413);
  EXPECT_EQ(upstreams_.released, 0);  // never reused: it holds part of a request
  EXPECT_TRUE(WaitFor([&] { return upstreams_.live.empty(); }));
}

TEST_F(ProxyStreamTest, StoppedFilterHoldsTheRequestAndItsBodyUntilResumed) {
  NewStream(Routes({v1::Filter()}));
  Send("POST", "a.test", "/", /*end_stream=*/false, 4);
  ASSERT_NE(HoldingFilter::last, nullptr);
  OnLoop([&] { stream_->DecodeData("ab", false); });
  OnLoop([&] { stream_->DecodeData("cd", true); });
  EXPECT_TRUE(upstreams_.acquired.empty());
  EXPECT_EQ(HoldingFilter::last->data_seen, "");  // not yet: the chain is held
  OnLoop([&] { HoldingFilter::last->Release(); });
  EXPECT_EQ(HoldingFilter::last->data_seen, "abcd");
  ASSERT_EQ(upstreams_.acquired.size(), 1u);
  OnLoop([&] { upstreams_.last()->Connected(); });
  ASSERT_TRUE(upstreams_.last()->head.has_value());
  EXPECT_EQ(Header(upstreams_.last()->head->headers, "x-held"), "yes");
  EXPECT_EQ(upstreams_.last()->body, "abcd");
  EXPECT_TRUE(upstreams_.last()->request_ended);
}

TEST_F(ProxyStreamTest, ABodyThatCameWhileHeldGoesAgainOnARetry) {
  v1::RouteConfiguration routes = Routes({v1::Filter()});
  v1::RetryPolicy* retry = routes.mutable_virtual_hosts(0)->mutable_routes(1)->mutable_retry();
  retry->add_statuses(502);
  retry->set_non_idempotent(true);
  retry->set_tries(2);
  NewStream(routes);
  Send("POST", "a.test", "/", /*end_stream=*/false, 4);
  OnLoop([&] { stream_->DecodeData("ab", false); });
  OnLoop([&] { stream_->DecodeData("cd", true); });
  OnLoop([&] { HoldingFilter::last->Release(); });
  ASSERT_EQ(upstreams_.acquired.size(), 1u);
  OnLoop([&] { upstreams_.last()->Connected(); });
  EXPECT_EQ(upstreams_.last()->body, "abcd");
  OnLoop([&] { upstreams_.last()->Respond(502, ""); });
  ASSERT_EQ(upstreams_.acquired.size(), 2u);
  OnLoop([&] { upstreams_.last()->Connected(); });
  EXPECT_EQ(upstreams_.last()->body, "abcd");
  EXPECT_TRUE(upstreams_.last()->request_ended);
}

TEST_F(ProxyStreamTest, StoppedFilterMayAnswerLater) {
  NewStream(Routes({v1::Filter()}));
  Send("GET", "a.test", "/");
  OnLoop([&] { HoldingFilter::last->Deny(); });
  EXPECT_EQ(status(), 403);
  EXPECT_TRUE(upstreams_.acquired.empty());
  EXPECT_EQ(done_, 1);
}

TEST_F(ProxyStreamTest, ClientGoingAwayWhileHeldEndsTheStream) {
  NewStream(Routes({v1::Filter()}));
  Send("GET", "a.test", "/");
  OnLoop([&] { stream_->OnDownstreamReset("gone"); });
  EXPECT_EQ(done_, 1);
  OnLoop([&] { HoldingFilter::last->Release(); });  // too late: nothing happens
  EXPECT_TRUE(upstreams_.acquired.empty());
}

// regex.test: two regex paths, the second to the cluster.
v1::RouteConfiguration RegexRoutes() {
  v1::RouteConfiguration routes;
  routes.set_name("http");
  v1::VirtualHost* host = routes.add_virtual_hosts();
  host->set_name("regex.test");
  host->add_domains("regex.test");
  for (const char* path : {"/never/(a|b)*a(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)x", "/items/[0-9]+"}) {
    v1::Route* route = host->add_routes();
    route->mutable_match()->set_path_type(v1::RouteMatch::REGEX);
    route->mutable_match()->set_path(path);
    route->set_cluster(kCluster);
  }
  return routes;
}

// A path on regex.test long enough that matching it could cost the loop more than
// kMaxLoopRegexWork.
std::string LongItemPath() { return "/items/" + std::string(8000, '7'); }

TEST_F(ProxyStreamTest, ALongPathOnARegexHostIsMatchedOffTheLoop) {
  NewStream(RegexRoutes());
  std::string path = LongItemPath();
  std::shared_ptr<const config::DataplaneConfig> config =
      fakes::BuildTestConfig(RegexRoutes(), {{kCluster, {{"10.0.0.1", 80}}}}, CompileWithHolding);
  ASSERT_GT(config->http_routes().FindHost("regex.test")->RegexWork(path.size()),
            kMaxLoopRegexWork);
  http::RequestHead head;
  head.method = "POST";
  head.authority = "regex.test";
  head.target = path + "?q=1";
  head.framing = http::BodyFraming::kContentLength;
  head.content_length = 4;
  bool matched_off_loop = false, acquired_at_once = true;
  OnLoop([&] {
    stream_->DecodeHeaders(std::move(head), /*end_stream=*/false);
    matched_off_loop = worker_->blocking_work.in_flight("regex.test") == 1;
    acquired_at_once = !upstreams_.acquired.empty();
    // The body that comes meanwhile waits for the route.
    stream_->DecodeData("ab", false);
    stream_->DecodeData("cd", true);
  });
  EXPECT_TRUE(matched_off_loop);
  EXPECT_FALSE(acquired_at_once);
  ASSERT_TRUE(WaitFor([&] { return !upstreams_.acquired.empty(); }));
  OnLoop([&] { upstreams_.last()->Connected(); });
  ASSERT_TRUE(upstreams_.last()->head.has_value());
  EXPECT_EQ(upstreams_.last()->head->target, path + "?q=1");
  EXPECT_EQ(upstreams_.last()->body, "abcd");
  EXPECT_TRUE(upstreams_.last()->request_ended);
}

TEST_F(ProxyStreamTest, AShortPathOnARegexHostIsMatchedOnTheLoop) {
  NewStream(RegexRoutes());
  bool acquired_at_once = false;
  http::RequestHead head;
  head.method = "GET";
  head.authority = "regex.test";
  head.target = "/items/17";
  OnLoop([&] {
    stream_->DecodeHeaders(std::move(head), true);
    acquired_at_once = !upstreams_.acquired.empty();
  });
  EXPECT_TRUE(acquired_at_once);
  EXPECT_EQ(worker_->blocking_work.in_flight(), 0u);
}

TEST_F(ProxyStreamTest, ALongPathNoRouteTakesIs404AfterTheMatch) {
  NewStream(RegexRoutes());
  Send("GET", "regex.test", "/other/" + std::string(8000, '7'));
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 404);
  EXPECT_TRUE(upstreams_.acquired.empty());
}

TEST_F(ProxyStreamTest, AHostHoldsOnlyItsShareOfTheWorkersMatchesOffTheLoop) {
  settings_.blocking_work_limit = 8;  // one a host
  NewWorker();
  NewStream(RegexRoutes());
  std::shared_ptr<const config::DataplaneConfig> config =
      fakes::BuildTestConfig(RegexRoutes(), {{kCluster, {{"10.0.0.1", 80}}}}, CompileWithHolding);
  FakeResponseEncoder second_encoder;
  std::unique_ptr<ProxyStream> second;
  OnLoop([&] {
    second = std::make_unique<ProxyStream>(worker_->context, *this, second_encoder, config,
                                           filters::DownstreamInfo{"http", 8080, "192.0.2.8"});
    http::RequestHead first_head, second_head;
    first_head.method = second_head.method = "GET";
    first_head.authority = second_head.authority = "regex.test";
    first_head.target = second_head.target = LongItemPath();
    stream_->DecodeHeaders(std::move(first_head), true);
    second->DecodeHeaders(std::move(second_head), true);
  });
  ASSERT_TRUE(second_encoder.head.has_value());
  EXPECT_EQ(second_encoder.head->status, 503);
  EXPECT_EQ(Header(second_encoder.head->headers, "retry-after"), "1");
  ASSERT_TRUE(WaitFor([&] { return !upstreams_.acquired.empty(); }));  // the first goes on
  OnLoop([&] { second.reset(); });
}

TEST_F(ProxyStreamTest, AStreamGoneWhileItsRouteIsFoundIsNotCalledBack) {
  NewStream(RegexRoutes());
  http::RequestHead head;
  head.method = "GET";
  head.authority = "regex.test";
  head.target = LongItemPath();
  OnLoop([&] {  // in one turn: the match cannot have finished
    stream_->DecodeHeaders(std::move(head), true);
    EXPECT_EQ(worker_->blocking_work.in_flight(), 1u);
    stream_->OnDownstreamReset("gone");
    stream_.reset();
  });
  EXPECT_EQ(done_, 1);
  ASSERT_TRUE(WaitFor([&] { return worker_->blocking_work.in_flight() == 0; }));
  EXPECT_TRUE(upstreams_.acquired.empty());
}

// Each request is counted under its route's labels when its stream ends: the route's Ingress
// and Service, the configured host; a route whose backends all weigh 0 still names its Ingress;
// a host no route takes, and no host at all, are counted without them.
TEST_F(ProxyStreamTest, EachRequestIsCountedUnderItsRoutesLabels) {
  RequestMetrics metrics;
  OnLoop([&] { worker_->context.request_metrics = &metrics; });
  v1::RouteConfiguration routes = Routes();
  v1::Route* unweighted = routes.mutable_virtual_hosts(0)->add_routes();
  unweighted->set_source("default/dark");
  unweighted->mutable_match()->set_path_type(v1::RouteMatch::EXACT);
  unweighted->mutable_match()->set_path("/dark");  // after "/": never taken; moved first below
  v1::WeightedCluster* none = unweighted->add_weighted_clusters();
  none->set_cluster("default/dark:80");
  none->set_weight(0);
  routes.mutable_virtual_hosts(0)->mutable_routes()->SwapElements(0, 2);
  // A config that names the routes' labels as long as the test runs (a series goes with the
  // last config that names its Ingress).
  std::shared_ptr<const config::DataplaneConfig> kept =
      fakes::BuildTestConfig(routes, {{kCluster, {{"10.0.0.1", 80}}}}, CompileWithHolding);
  struct Case {
    const char* host;
    const char* target;
    int status;
  };
  for (const Case& c : {Case{"a.test", "/dark", 500}, Case{"secure.test", "/", 404},
                        Case{"nowhere.test", "/", 404}}) {
    encoder_ = FakeResponseEncoder();
    NewStream(routes);
    Send("GET", c.host, c.target);
    EXPECT_EQ(status(), c.status) << c.host << c.target;
    OnLoop([&] { stream_.reset(); });
  }
  MetricsRegistry out;
  RequestMetrics::CollectAll(out);
  std::string text = out.RenderPrometheus();
  for (const char* line :
       {"gatehouse_ingress_requests{host=\"a.test\",ingress=\"dark\",method=\"GET\","
        "namespace=\"default\",service=\"dark\",status=\"500\"} 1\n",
        "gatehouse_ingress_requests{host=\"secure.test\",ingress=\"\",method=\"GET\","
        "namespace=\"\",service=\"\",status=\"404\"} 1\n",
        "gatehouse_ingress_requests{host=\"\",ingress=\"\",method=\"GET\",namespace=\"\","
        "service=\"\",status=\"404\"} 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  OnLoop([&] { worker_->context.request_metrics = nullptr; });
}

// Reference: ingress-nginx's upstream-hash-by ("$http_x_forwarded_for", say) hashes the header
// the client sent, whatever the proxy then adds to it on the way up.
TEST_F(ProxyStreamTest, HashKeysComeFromTheRequestAsTheClientSentIt) {
  upstreams_.reuse = true;
  v1::Filter forwarding;
  forwarding.mutable_forwarding_headers();
  v1::RouteConfiguration routes = Routes({forwarding});
  v1::LoadBalancing* balancing =
      routes.mutable_virtual_hosts(0)->mutable_routes(1)->mutable_load_balancing();
  balancing->set_policy(v1::LoadBalancing::CONSISTENT_HASH);
  balancing->set_header("x-forwarded-for");
  fakes::TestClusters clusters = {{kCluster, {}}};
  for (int i = 1; i <= 8; ++i) clusters[kCluster].push_back({absl::StrCat("10.0.0.", i), 80});
  // The same client header from different peers (a load balancer's nodes): one endpoint.
  const char* peers[] = {"198.51.100.1", "198.51.100.2", "198.51.100.3",
                         "198.51.100.4", "198.51.100.5", "198.51.100.6"};
  for (const char* peer : peers) {
    NewStream(routes, "http", clusters, CompileWithHolding, peer);
    http::RequestHead head;
    head.method = "GET";
    head.authority = "a.test";
    head.target = "/";
    head.headers.Add("X-Forwarded-For", "203.0.113.9");
    OnLoop([&] { stream_->DecodeHeaders(std::move(head), true); });
  }
  ASSERT_EQ(upstreams_.acquired.size(), 6u);
  for (const std::string& endpoint : upstreams_.acquired) {
    EXPECT_EQ(endpoint, upstreams_.acquired[0]);
  }
}

TEST_F(ProxyStreamTest, ResponseHooksRunLastFilterFirst) {
  upstreams_.reuse = true;
  v1::Filter hsts;
  hsts.mutable_strict_transport_security()->set_value("max-age=1");
  NewStream(Routes({hsts}), "https");
  Send("GET", "a.test", "/");
  OnLoop([&] { upstreams_.last()->Respond(200, "ok"); });
  EXPECT_EQ(Header(encoder_.head->headers, "strict-transport-security"), "max-age=1");
}

// As Envoy's route timeout: the wait for the response starts once the request is complete, so
// an upload may take longer than the response timeout.
TEST_F(ProxyStreamTest, ResponseTimeoutStartsOnceTheWholeRequestHasGoneUp) {
  settings_.upstream_response_timeout = absl::Milliseconds(100);
  NewWorker();
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("POST", "a.test", "/", /*end_stream=*/false, 12);
  for (int i = 0; i < 6; ++i) {  // 300 ms of upload
    OnLoop([&] { stream_->DecodeData("ab", false); });
    Sleep(50);
  }
  EXPECT_EQ(status(), 0);
  OnLoop([&] { stream_->DecodeData("", true); });
  EXPECT_TRUE(upstreams_.last()->request_ended);
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 504);
}

// As nginx's client_body_timeout: the time between two reads of the body, not the whole body.
TEST_F(ProxyStreamTest, AClientThatStopsSendingItsBodyGets408) {
  settings_.request_body_timeout = absl::Milliseconds(100);
  NewWorker();
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("POST", "a.test", "/", /*end_stream=*/false, 100);
  for (int i = 0; i < 6; ++i) {
    OnLoop([&] { stream_->DecodeData("ab", false); });
    Sleep(50);
  }
  EXPECT_EQ(status(), 0);
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 408);
  EXPECT_EQ(done_, 1);
  EXPECT_EQ(upstreams_.released, 0);  // it holds half a request
}

TEST_F(ProxyStreamTest, TheBodyTimeoutDoesNotRunWhileTheProxyHoldsTheClientBack) {
  settings_.request_body_timeout = absl::Milliseconds(100);
  NewWorker();
  upstreams_.reuse = true;
  NewStream(Routes());
  Send("POST", "a.test", "/", /*end_stream=*/false, 100);
  FakeUpstreamStream* upstream = upstreams_.last();
  upstream->write_blocked = true;
  OnLoop([&] { stream_->DecodeData("0123456789", false); });
  EXPECT_TRUE(encoder_.request_body_paused);
  Sleep(300);
  EXPECT_EQ(status(), 0);
  upstream->write_blocked = false;
  OnLoop([&] { stream_->OnUpstreamWritable(); });
  EXPECT_FALSE(encoder_.request_body_paused);
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));  // reading again: the timeout runs
  EXPECT_EQ(status(), 408);
}

// As Envoy's stream_idle_timeout: no byte either way for its length ends the stream.
TEST_F(ProxyStreamTest, AStreamWithNoBytesEitherWayEnds) {
  settings_.upstream_response_timeout = absl::Seconds(30);
  settings_.stream_idle_timeout = absl::Milliseconds(100);
  NewWorker();
  upstreams_.reuse = true;

  // The request incomplete: the client is the one that stalled.
  NewStream(Routes());
  Send("POST", "a.test", "/", /*end_stream=*/false, 100);
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 408);

  // The request sent, no answer: the upstream stalled.
  encoder_ = FakeResponseEncoder();
  NewStream(Routes());
  Send("GET", "a.test", "/");
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 504);

  // Mid-response, with a client that takes nothing (an HTTP/2 window of 0): bytes trickling
  // keep the stream alive, silence resets it.
  encoder_ = FakeResponseEncoder();
  NewStream(Routes());
  Send("GET", "a.test", "/");
  for (int i = 0; i < 6; ++i) {
    OnLoop([&] {
      if (i == 0) {
        upstreams_.last()->Respond(200, "a", /*end=*/false);
      } else {
        upstreams_.last()->decoder()->DecodeResponseData("b", false);
      }
    });
    Sleep(50);
  }
  EXPECT_FALSE(encoder_.reset.has_value());
  ASSERT_TRUE(WaitFor([&] { return encoder_.reset.has_value(); }));
  EXPECT_EQ(status(), 200);
  EXPECT_EQ(encoder_.body, "abbbbb");
}

// A filter that never lets the request go (an external auth call that hangs) is bounded by the
// stream idle timeout alone: the request ends with 504, and nothing reaches the upstream.
TEST_F(ProxyStreamTest, ARequestAFilterHoldsEndsAtTheStreamIdleTimeout) {
  settings_.stream_idle_timeout = absl::Milliseconds(100);
  NewWorker();
  NewStream(Routes({v1::Filter()}));
  Send("GET", "a.test", "/");
  ASSERT_NE(HoldingFilter::last, nullptr);
  EXPECT_EQ(status(), 0);
  ASSERT_TRUE(WaitFor([&] { return status() != 0; }));
  EXPECT_EQ(status(), 504);
  EXPECT_EQ(done_, 1);
  EXPECT_TRUE(upstreams_.acquired.empty());
}

}  // namespace
}  // namespace gatehouse::dataplane::proxy
