// Tells the upstream what it cannot see for itself: who the client is and what it asked for.
// The client's address ends X-Forwarded-For (several such headers become one list, in order, so
// that an upstream reading only the first cannot take a client's own entry for the last hop);
// the proxy's view replaces any X-Forwarded-Proto, -Host and -Port the client sent; a request
// id the client (or a proxy in front) chose is kept, and one is made when there is none.
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

// A new X-Request-Id: a random (version 4) UUID.
std::string NewRequestId(absl::InsecureBitGen& random);

}  // namespace gatehouse::dataplane::filters
