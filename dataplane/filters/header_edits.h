// A HeaderModifier compiled once per route: the edits both header-modifier filters apply
// (request_header_modifier.h, response_header_modifier.h), checked where they are read.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/http/headers.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class HeaderEdits {
 public:
  // Every name editable (common/http_syntax.h), every value a field value, at most
  // kMaxHeaderEdits (common/http_syntax.h) in all; the error names the first that is not.
  static absl::StatusOr<HeaderEdits> Compile(const v1::HeaderModifier& config);
  // Remove, then set, then add.
  void Apply(http::HeaderMap& headers) const;

 private:
  std::vector<std::string> remove_;
  std::vector<std::pair<std::string, std::string>> set_;
  std::vector<std::pair<std::string, std::string>> add_;
};

}  // namespace gatehouse::dataplane::filters
