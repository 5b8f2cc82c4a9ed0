// Edits the request's headers before it goes upstream: set, add and remove (header_edits.h).
// Gateway API's RequestHeaderModifier, our gatehouse.dev/request-headers annotation and
// ingress-nginx's x-forwarded-prefix.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "dataplane/filters/header_edits.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class RequestHeaderModifierFilter : public Filter {
 public:
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::HeaderModifier& config);

  explicit RequestHeaderModifierFilter(const HeaderEdits& edits) : edits_(edits) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  const HeaderEdits& edits_;
};

}  // namespace gatehouse::dataplane::filters
