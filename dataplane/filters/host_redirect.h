// Sends every request to the same scheme, path and query on another host (ingress-nginx's
// from-to-www-redirect, with its 308): the virtual host of "www.example.com" redirecting to
// "example.com", or the other way round. The port the client used is kept.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class HostRedirectFilter : public Filter {
 public:
  struct Config {
    std::string host;
    int code = 308;
  };
  // The host must be a DNS name; the code from 300 to 308.
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::HostRedirect& config);

  explicit HostRedirectFilter(const Config& config) : config_(config) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  const Config& config_;
};

}  // namespace gatehouse::dataplane::filters
