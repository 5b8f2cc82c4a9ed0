#include "dataplane/filters/request_header_modifier.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> RequestHeaderModifierFilter::Compile(
    const v1::HeaderModifier& config) {
  absl::StatusOr<HeaderEdits> edits = HeaderEdits::Compile(config);
  if (!edits.ok()) return edits.status();
  return std::make_shared<const ConfigFactory<RequestHeaderModifierFilter, HeaderEdits>>(
      *std::move(edits));
}

FilterStatus RequestHeaderModifierFilter::OnRequestHeaders(http::RequestHead& head,
                                                           bool end_stream) {
  edits_.Apply(head.headers);
  return FilterStatus::kContinue;
}

}  // namespace gatehouse::dataplane::filters
