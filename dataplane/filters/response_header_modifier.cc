#include "dataplane/filters/response_header_modifier.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> ResponseHeaderModifierFilter::Compile(
    const v1::HeaderModifier& config) {
  absl::StatusOr<HeaderEdits> edits = HeaderEdits::Compile(config);
  if (!edits.ok()) return edits.status();
  return std::make_shared<const ConfigFactory<ResponseHeaderModifierFilter, HeaderEdits>>(
      *std::move(edits));
}

void ResponseHeaderModifierFilter::OnResponseHeaders(http::ResponseHead& head, bool end_stream) {
  edits_.Apply(head.headers);
}

}  // namespace gatehouse::dataplane::filters
