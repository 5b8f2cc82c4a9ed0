// ingress-nginx's upstream-vhost: the Host (HTTP/2 :authority) sent upstream is a fixed
// "name[:port]" instead of the client's. Routing, the access log and X-Forwarded-Host keep the
// client's (this filter runs after forwarding_headers).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class UpstreamHostFilter : public Filter {
 public:
  // The host must be "name" or "name:port" (common/http_syntax.h, IsHostAndPort).
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::UpstreamHost& config);

  explicit UpstreamHostFilter(const std::string& host) : host_(host) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  const std::string& host_;
};

}  // namespace gatehouse::dataplane::filters
