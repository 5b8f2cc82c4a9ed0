// The immutable routing table a worker matches requests against.
//
// Built once per route configuration, off the request path, then shared read-only by every
// worker. Match() picks the virtual host first (exact host, else the one-label wildcard, else
// "*"), then the first route of that host whose path match holds, else the host's default
// cluster. Requests never fall through to another host's routes. Each route's filter chain, and
// each host's for requests no route takes, is compiled here, once per route configuration.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/request_mirror.h"
#include "dataplane/filters/filter_chain.h"
#include "dataplane/router/backend_choice.h"
#include "dataplane/router/request_labels.h"
#include "gatehouse/v1/config.pb.h"
#include "re2/re2.h"

namespace gatehouse::dataplane::router {

struct RouteEntry {
  v1::RouteMatch::PathType type = v1::RouteMatch::PREFIX;
  std::string path;
  std::string source;
  std::shared_ptr<const re2::RE2> regex;  // REGEX routes: `path` compiled, case-insensitive
  BackendChoice backends;
  v1::RouteTimeouts timeouts;  // 0: the data plane's own
  std::optional<v1::RetryPolicy> retry;
  std::optional<v1::ErrorPages> error_pages;
  std::vector<MirrorPolicy> mirrors;
  filters::FilterChain filters;

  // Whether `path` (without query) satisfies this route.
  bool Matches(absl::string_view request_path) const;
};

struct VirtualHostEntry {
  std::string name;
  std::vector<RouteEntry> routes;
  std::string default_cluster;
  filters::FilterChain filters;                 // for requests that match none of `routes`
  std::shared_ptr<const RequestLabels> labels;  // for requests that match none of `routes`
  // The sum of its regex paths' RE2 program sizes; 0: no regex paths. On a host with some, paths
  // past kMaxRegexMatchBytes are not matched (414).
  uint64_t regex_instructions = 0;

  // The most matching a `path_bytes`-byte path against this host's routes can cost, in RE2
  // steps (common/path_regex.h's RegexWork, summed over its regex paths); 0 for a path too long
  // to be matched at all.
  uint64_t RegexWork(size_t path_bytes) const;
};

struct MatchResult {
  const VirtualHostEntry* virtual_host = nullptr;
  const RouteEntry* route = nullptr;  // null when the host's default cluster was taken
  // The host's default cluster when no route matched; null with a route (its backends choose)
  // or when nothing matched (404).
  const std::string* cluster = nullptr;
  // The request's filters: its route's, else its host's; null when no host matched.
  const filters::FilterChain* filters = nullptr;
  // The host has regex paths and the path is longer than they are matched against: 414.
  bool path_too_long = false;

  // The route's first cluster (its only one, or its primary), else the host's default cluster;
  // null when nothing matched. For explanations and tests: requests choose per request.
  const std::string* PrimaryCluster() const {
    if (route != nullptr) return &route->backends.backends().front().cluster;
    return cluster;
  }
};

class RouteTable {
 public:
  // A table built from the virtual hosts that are valid, and why each other one was left out
  // (every problem found, with its field path). One host's bad regex, filter or domain never
  // keeps the others from being served. A domain held by an earlier host leaves out the later.
  struct Isolated {
    std::shared_ptr<const RouteTable> table;
    std::vector<std::string> dropped;
  };
  static Isolated BuildIsolating(const v1::RouteConfiguration& config,
                                 filters::FilterCompiler compile_filter = filters::CompileFilter);

  // Validates `config` and builds the table, or, when any host would be left out, an error
  // listing every problem found.
  static absl::StatusOr<std::shared_ptr<const RouteTable>> Build(
      const v1::RouteConfiguration& config,
      filters::FilterCompiler compile_filter = filters::CompileFilter);

  // Matches a request's Host header value (port and case ignored) and path (query excluded).
  MatchResult Match(absl::string_view host, absl::string_view path) const {
    return MatchIn(FindHost(host), path);
  }
  // Match() in two steps, for a caller that weighs the second before making it: the virtual
  // host for a Host header value (port and case ignored), or null; then the route `path` takes
  // there. MatchIn only reads `host`, so any thread may run it while the table lives.
  const VirtualHostEntry* FindHost(absl::string_view host) const;
  static MatchResult MatchIn(const VirtualHostEntry* host, absl::string_view path);

 private:
  RouteTable() = default;
  const VirtualHostEntry* FindVirtualHost(absl::string_view host) const;

  std::vector<VirtualHostEntry> virtual_hosts_;
  absl::flat_hash_map<std::string, size_t> exact_;
  absl::flat_hash_map<std::string, size_t> wildcard_;  // "*.example.com" stored as "example.com"
  int catch_all_ = -1;
};

}  // namespace gatehouse::dataplane::router
