// Redirects plain-HTTP requests to HTTPS (308, so method and body are kept), for hosts with a
// certificate. ACME HTTP-01 challenges (/.well-known/acme-challenge/) pass: a certificate
// authority checks them over plain HTTP. As ingress-nginx does, the redirect drops the port the
// client used, sending it to HTTPS's default port.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class HttpsRedirectFilter : public Filter {
 public:
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::HttpsRedirect& config);

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;
};

}  // namespace gatehouse::dataplane::filters
