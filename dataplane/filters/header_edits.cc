#include "dataplane/filters/header_edits.h"

#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse::dataplane::filters {
namespace {

absl::Status CheckName(absl::string_view name) {
  if (IsEditableHeaderName(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("header ", QuoteForMessage(name),
                   " may not be edited (not a token, or a framing, hop-by-hop or Host header)"));
}

}  // namespace

absl::StatusOr<HeaderEdits> HeaderEdits::Compile(const v1::HeaderModifier& config) {
  if (config.set_size() + config.add_size() + config.remove_size() > kMaxHeaderEdits) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxHeaderEdits, " header edits"));
  }
  HeaderEdits edits;
  for (const std::string& name : config.remove()) {
    if (absl::Status status = CheckName(name); !status.ok()) return status;
    edits.remove_.push_back(name);
  }
  for (const auto* list : {&config.set(), &config.add()}) {
    for (const v1::Header& header : *list) {
      if (absl::Status status = CheckName(header.name()); !status.ok()) return status;
      if (!header.value().empty() && !IsFieldValue(header.value())) {
        return absl::InvalidArgumentError(absl::StrCat("header ", header.name(), ": ",
                                                       QuoteForMessage(header.value()),
                                                       " is not a valid field value"));
      }
      (list == &config.set() ? edits.set_ : edits.add_).emplace_back(header.name(), header.value());
    }
  }
  return edits;
}

void HeaderEdits::Apply(http::HeaderMap& headers) const {
  for (const std::string& name : remove_) headers.Remove(name);
  for (const auto& [name, value] : set_) headers.Set(name, value);
  for (const auto& [name, value] : add_) headers.Add(name, value);
}

}  // namespace gatehouse::dataplane::filters
