// Edits the response's headers before they reach the client, upstream responses and local
// replies alike: set, add and remove (header_edits.h). Gateway API's ResponseHeaderModifier and
// our gatehouse.dev/response-headers annotation.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "dataplane/filters/header_edits.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class ResponseHeaderModifierFilter : public Filter {
 public:
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::HeaderModifier& config);

  explicit ResponseHeaderModifierFilter(const HeaderEdits& edits) : edits_(edits) {}

  void OnResponseHeaders(http::ResponseHead& head, bool end_stream) override;

 private:
  const HeaderEdits& edits_;
};

}  // namespace gatehouse::dataplane::filters
