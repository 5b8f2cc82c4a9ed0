// A path rewrite with capture groups (ingress-nginx's rewrite-target, nginx's `rewrite REGEX
// REPLACEMENT break`), parsed the same way in both processes: the control plane refuses what a
// data plane would refuse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

namespace gatehouse {

class PathRewrite {
 public:
  // `regex` compiles as a path regex (common/path_regex.h, within its budget); `replacement` is
  // a path ("/" first) naming only $0 to $9, with nothing a header could not carry.
  static absl::StatusOr<PathRewrite> Compile(absl::string_view regex,
                                             absl::string_view replacement);

  // The new request-target for origin-form `target` ("/path?query"), or nullopt when the regex
  // does not match its path.
  std::optional<std::string> Apply(absl::string_view target) const;

  // RE2's worst case for Apply on a path of `path_bytes` bytes, in steps (common/path_regex.h).
  uint64_t Work(size_t path_bytes) const;

 private:
  std::shared_ptr<const re2::RE2> regex_;
  // Literal text (group -1) and group references, in order.
  std::vector<std::pair<int, std::string>> parts_;
  int max_group_ = 0;
};

}  // namespace gatehouse
