// The data plane's route table at scale: 10,000 hosts with 10 paths each (100,000 routes).
//
//   cmake --preset release && cmake --build --preset release --target router_bench
//   build/release/bin/router_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
//
// BM_Match is one lookup (host then path) of a random request that matches a mid-table route;
// BM_Build is building the whole table from its route configuration, as a data plane does on
// every new version; BM_RegexWorstCase is one lookup on a host whose regex paths are the costliest
// the regex budget lets through, with an 8 KiB path (made on the worker's blocking pool, not its
// loop); BM_RegexWorstCaseOnLoop the costliest lookup a worker's loop still makes itself.
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/path_regex.h"
#include "dataplane/router/route_table.h"

namespace gatehouse::dataplane::router {
namespace {

constexpr int kHosts = 10000;
constexpr int kPathsPerHost = 10;

v1::RouteConfiguration MakeConfig() {
  v1::RouteConfiguration config;
  config.set_name("http");
  for (int h = 0; h < kHosts; ++h) {
    v1::VirtualHost* vhost = config.add_virtual_hosts();
    std::string host = absl::StrCat("service-", h, ".team-", h % 97, ".example.com");
    vhost->set_name(host);
    vhost->add_domains(host);
    // Longest first, as the control plane orders them; every other one Exact.
    for (int p = kPathsPerHost - 1; p >= 0; --p) {
      v1::Route* route = vhost->add_routes();
      route->mutable_match()->set_path_type(p % 2 == 0 ? v1::RouteMatch::PREFIX
                                                       : v1::RouteMatch::EXACT);
      route->mutable_match()->set_path(absl::StrCat("/api/v", p, std::string(p, 'x')));
      route->set_cluster(absl::StrCat("ns-", h % 97, "/svc-", h, "-", p, ":80"));
    }
    vhost->set_default_cluster(absl::StrCat("ns-", h % 97, "/default-", h, ":80"));
  }
  return config;
}

void BM_Match(benchmark::State& state) {
  auto table = RouteTable::Build(MakeConfig());
  if (!table.ok()) {
    state.SkipWithError("build failed");
    return;
  }
  std::mt19937 random(42);
  std::vector<std::pair<std::string, std::string>> requests;
  for (int i = 0; i < 4096; ++i) {
    int h = static_cast<int>(random() % kHosts);
    int p = static_cast<int>(random() % kPathsPerHost / 2) * 2;  // a Prefix route
    requests.emplace_back(absl::StrCat("Service-", h, ".team-", h % 97, ".example.com:8080"),
                          absl::StrCat("/api/v", p, std::string(p, 'x'), "/items/17"));
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [host, path] = requests[i++ & 4095];
    MatchResult result = (*table)->Match(host, path);
    benchmark::DoNotOptimize(result.PrimaryCluster());
  }
}
BENCHMARK(BM_Match);

void BM_Build(benchmark::State& state) {
  v1::RouteConfiguration config = MakeConfig();
  for (auto _ : state) {
    auto table = RouteTable::Build(config);
    benchmark::DoNotOptimize(table);
  }
  state.counters["routes"] = kHosts * kPathsPerHost;
}
BENCHMARK(BM_Build)->Unit(benchmark::kMillisecond);

// The regex budget's worst case (common/path_regex.h): a host with kMaxRegexPathsPerHost regex
// paths, each of the kind RE2 cannot keep a small automaton for ("(a|b)*a" then many "(a|b)"),
// within the program-size limit, against the longest path matched (8 KiB of random a and b),
// which none of them matches. Arg: the patterns' repeat count; the instructions are reported.
// A host with `patterns` regex paths of the costliest kind for `tail_groups` (a|b) groups, as
// the control plane would publish it. Each must read the whole of a path of a and b: their
// distinct ends come after an x no such path has.
std::shared_ptr<const RouteTable> CostliestRegexHost(size_t patterns, int64_t tail_groups) {
  v1::RouteConfiguration config;
  config.set_name("http");
  v1::VirtualHost* vhost = config.add_virtual_hosts();
  vhost->set_name("regex.example.com");
  vhost->add_domains("regex.example.com");
  std::string tail;
  for (int64_t i = 0; i < tail_groups; ++i) tail += "(a|b)";
  for (size_t r = 0; r < patterns; ++r) {
    v1::Route* route = vhost->add_routes();
    route->mutable_match()->set_path_type(v1::RouteMatch::REGEX);
    route->mutable_match()->set_path(absl::StrCat("/(a|b)*a", tail, "x", r));
    route->set_cluster("c");
  }
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(config);
  return table.ok() ? *table : nullptr;
}

// Paths of random a and b: no pattern matches, and each must read them whole. Each lookup takes
// the next of 64, so that RE2 cannot answer from what it cached of the same path before, as an
// attacker's fresh paths would not let it.
std::vector<std::string> RandomPaths(size_t bytes) {
  std::mt19937 random(7);
  std::vector<std::string> paths(64, "/");
  for (std::string& path : paths) {
    while (path.size() < bytes) path.push_back("ab"[random() & 1]);
  }
  return paths;
}

// The whole match, wherever it runs: 32 patterns against an 8 KiB path.
void BM_RegexWorstCase(benchmark::State& state) {
  std::shared_ptr<const RouteTable> table =
      CostliestRegexHost(kMaxRegexPathsPerHost, state.range(0));
  if (table == nullptr) {
    state.SkipWithError("build failed");
    return;
  }
  std::vector<std::string> paths = RandomPaths(kMaxRegexMatchBytes);
  size_t i = 0;
  for (auto _ : state) {
    MatchResult match = table->Match("regex.example.com", paths[i++ & 63]);
    benchmark::DoNotOptimize(match);
  }
  const VirtualHostEntry* host = table->FindHost("regex.example.com");
  state.counters["instructions"] =
      static_cast<double>(host->regex_instructions / kMaxRegexPathsPerHost);
  state.counters["on_loop"] = host->RegexWork(kMaxRegexMatchBytes) <= kMaxLoopRegexWork ? 1 : 0;
}
BENCHMARK(BM_RegexWorstCase)->Arg(4)->Arg(16)->Arg(36)->Arg(61)->Unit(benchmark::kMillisecond);

// The costliest match a worker's loop still makes itself: `patterns` of the costliest kind the
// budget admits (about 198 instructions), and the longest path whose RegexWork fits
// kMaxLoopRegexWork.
void BM_RegexWorstCaseOnLoop(benchmark::State& state) {
  std::shared_ptr<const RouteTable> table = CostliestRegexHost(state.range(0), 61);
  if (table == nullptr) {
    state.SkipWithError("build failed");
    return;
  }
  const VirtualHostEntry* host = table->FindHost("regex.example.com");
  size_t bytes = kMaxLoopRegexWork / host->regex_instructions;
  if (host->RegexWork(bytes) > kMaxLoopRegexWork) {
    state.SkipWithError("the path does not fit the loop's budget");
    return;
  }
  std::vector<std::string> paths = RandomPaths(bytes);
  size_t i = 0;
  for (auto _ : state) {
    MatchResult match = table->Match("regex.example.com", paths[i++ & 63]);
    benchmark::DoNotOptimize(match);
  }
  state.counters["path_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RegexWorstCaseOnLoop)->Arg(1)->Arg(4)->Arg(32)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gatehouse::dataplane::router

BENCHMARK_MAIN();
