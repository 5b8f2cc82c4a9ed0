// JSON string literals, for the few places that write JSON by hand (log lines, YAML turned into
// JSON, tools' reports): '"', '\' and control characters escaped; other bytes as they are (a
// request's bytes need not be UTF-8, and a log line stays what the client sent).
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace gatehouse {

// Appends `text` to `out` as a JSON string, quotes included.
void AppendJsonString(std::string& out, absl::string_view text);

// `text` as a JSON string, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace gatehouse
