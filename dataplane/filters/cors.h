// CORS at the proxy (ingress-nginx's enable-cors and cors-* annotations), with the Fetch
// standard's rules where ingress-nginx's template departs from them: "*" (a policy of every
// origin) never comes with Access-Control-Allow-Credentials, and a response whose
// Access-Control-Allow-Origin depends on the Origin says Vary: Origin. An allowed origin's
// preflight is answered 204 here; other requests go on, and their responses (the upstream's or a
// later filter's local reply, such as a 401) get the CORS headers, replacing the upstream's own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/cors_origin.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class CorsFilter : public Filter {
 public:
  struct Config {
    bool any_origin = false;
    std::vector<CorsOrigin> origins;
    std::string allow_methods;
    std::string allow_headers;
    std::string expose_headers;
    bool allow_credentials = false;
    std::string max_age;  // decimal seconds
  };

  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(const v1::Cors& config);

  explicit CorsFilter(const Config& config) : config_(config) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;
  void OnResponseHeaders(http::ResponseHead& head, bool end_stream) override;

 private:
  const Config& config_;
  std::string allow_origin_;  // what the response's Access-Control-Allow-Origin says; empty: none
  bool vary_ = false;         // the answer depends on the Origin
};

}  // namespace gatehouse::dataplane::filters
