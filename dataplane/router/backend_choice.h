// Which of a route's clusters takes a request: its one cluster, or one of its weighted clusters
// (Gateway API's backend weights), after ingress-nginx's canary rules have had their say.
//
// Compiled once per route configuration with the route; Choose() runs per request on the
// worker, with no allocation: a header lookup, a cookie lookup and one random draw at most.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "common/backend_limits.h"
#include "dataplane/http/headers.h"
#include "dataplane/router/request_labels.h"
#include "gatehouse/v1/config.pb.h"
#include "re2/re2.h"

namespace gatehouse::dataplane::router {

struct Backend {
  std::string cluster;
  uint32_t weight = 1;
  v1::LoadBalancing load_balancing;
  std::shared_ptr<const RequestLabels> labels;  // its requests' metrics; null before Label()
};

class BackendChoice {
 public:
  BackendChoice() = default;

  // The route's backends, or every problem found with them (their field paths under the route).
  static absl::StatusOr<BackendChoice> Compile(const v1::Route& route);

  // The backend for a request with these headers (as the client sent them), or null when every
  // backend has weight 0.
  const Backend* Choose(const http::HeaderMap& headers, absl::BitGenRef random) const;

  const std::vector<Backend>& backends() const { return backends_; }

  // Gives each backend the labels of its requests' metrics: the route's Ingress (`source`,
  // "namespace/name"), the backend's Service, and the virtual host `host`.
  void Label(absl::string_view source, absl::string_view host);

 private:
  // The canary rule's verdict: the primary, the canary, or no say.
  enum class Verdict { kPrimary, kCanary, kNone };
  Verdict AskCanary(const http::HeaderMap& headers) const;

  std::vector<Backend> backends_;
  uint64_t total_weight_ = 0;
  bool canary_ = false;
  std::string header_;
  std::string header_value_;
  std::shared_ptr<const re2::RE2> header_pattern_;
  std::string cookie_;
};

}  // namespace gatehouse::dataplane::router
