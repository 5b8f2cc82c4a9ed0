// Answers every request with a redirect to a fixed URL (ingress-nginx's permanent-redirect and
// temporal-redirect): nothing goes upstream. The URL may name the request's $request_uri, $uri,
// $args, $host and $scheme, as nginx's `return CODE URL` would expand them; the URL is split
// into literal text and those variables once, when the route is compiled.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/location_template.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

// The origin-form of a request-target (an absolute-form one loses its scheme and authority).
absl::string_view OriginForm(absl::string_view target);
// The host of a Host header value, without its port.
absl::string_view HostWithoutPort(absl::string_view authority);

class RedirectFilter : public Filter {
 public:
  struct Config {
    LocationTemplate location;
    int code = 302;
  };
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(const v1::Redirect& config);

  explicit RedirectFilter(const Config& config) : config_(config) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  const Config& config_;
};

}  // namespace gatehouse::dataplane::filters
