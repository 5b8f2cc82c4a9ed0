// Tells the upstream what it cannot see for itself: who the client is and what it asked for, as
// ingress-nginx's template sets them. X-Forwarded-For and X-Real-IP carry the client's address
// (X-Forwarded-For, behind trusted proxies with compute-full-forwarded-for, their list with the
// peer appended); X-Forwarded-Proto and -Port the request's scheme and port (behind trusted
// proxies, what they said); X-Forwarded-Host the Host (behind trusted proxies, theirs when they
// sent one). What the client sent of these is replaced. A request id the client (or a proxy in
// front) chose is kept, and one is made when there is none.
#pragma once

#include <memory>
#include <string>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class ForwardingHeadersFilter : public Filter {
 public:
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::ForwardingHeaders& config);

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;
};

// The X-Forwarded-For a request sends on (upstream, or to an auth service), given `received`,
// every X-Forwarded-For the request came with as one list.
std::string ForwardedForValue(const DownstreamInfo& downstream, absl::string_view received);

// A new X-Request-Id: a random (version 4) UUID.
std::string NewRequestId(absl::InsecureBitGen& random);

}  // namespace gatehouse::dataplane::filters
