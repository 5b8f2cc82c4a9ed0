// RFC 9110 grammar checks both processes apply to strings that reach the wire: the control plane
// before it publishes (or, for its own flags, at start), the data plane when it builds a config.
#pragma once

#include "absl/strings/string_view.h"

namespace gatehouse {

// Whether `value` is a field value RFC 9110 section 5.5 allows a sender to write: visible ASCII,
// obs-text, spaces and tabs, neither leading nor trailing whitespace; never CR, LF or NUL.
bool IsFieldValue(absl::string_view value);

}  // namespace gatehouse
