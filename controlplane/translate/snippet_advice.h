// What to use instead of the lines of an nginx snippet annotation (configuration-snippet,
// server-snippet, ...), which Gatehouse never interprets: the header directives in common use
// map to gatehouse.dev/request-headers and response-headers, `return` to the redirect
// annotations, `rewrite` to rewrite-target.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gatehouse::controlplane::translate {

// At most this many directives of a snippet are advised on; the rest are counted.
inline constexpr size_t kMaxAdvisedDirectives = 16;

// One entry per directive of `snippet` (split at ';' outside quotes): the directive, quoted for
// a message, and its replacement, or that it has none.
std::vector<std::string> SnippetAdvice(absl::string_view snippet);

}  // namespace gatehouse::controlplane::translate
