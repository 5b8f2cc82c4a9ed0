#include "controlplane/translate/annotations.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::controlplane::translate {
namespace {

// The value of annotation `name` under our prefix, else under nginx's; with its full key.
struct Found {
  std::string key;
  const std::string* value = nullptr;
};

Found Lookup(const source::kube::Ingress& ingress, absl::string_view name) {
  const auto& annotations = ingress.metadata().annotations();
  for (absl::string_view prefix : {kGatehousePrefix, kNginxPrefix}) {
    std::string key = absl::StrCat(prefix, name);
    auto it = annotations.find(key);
    if (it != annotations.end()) return {std::move(key), &it->second};
  }
  return {};
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  absl::string_view digits = absl::StripAsciiWhitespace(text);
  uint64_t unit = 1;
  if (!digits.empty()) {
    switch (absl::ascii_tolower(static_cast<unsigned char>(digits.back()))) {
      case 'k': unit = uint64_t{1} << 10; break;
      case 'm': unit = uint64_t{1} << 20; break;
      case 'g': unit = uint64_t{1} << 30; break;
      default: break;
    }
    if (unit != 1) digits.remove_suffix(1);
  }
  uint64_t count = 0;
  bool all_digits = !digits.empty();
  for (char c : digits) all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!all_digits || !absl::SimpleAtoi(digits, &count) || count > UINT64_MAX / unit) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a size (digits, then k, m or g)"));
  }
  return count * unit;
}

ParsedAnnotations ParseAnnotations(const source::kube::Ingress& ingress) {
  ParsedAnnotations parsed;
  if (Found found = Lookup(ingress, kUseRegexAnnotation); found.value != nullptr) {
    parsed.values.use_regex = absl::AsciiStrToLower(*found.value) == "true";
  }
  if (Found found = Lookup(ingress, kProxyBodySizeAnnotation); found.value != nullptr) {
    absl::StatusOr<uint64_t> size = ParseSize(*found.value);
    if (size.ok()) {
      parsed.values.max_request_body_bytes = *size;
    } else {
      parsed.errors.push_back(absl::StrCat("annotation ", found.key, ": ", size.status().message(),
                                           "; no limit applies"));
    }
  }
  return parsed;
}

}  // namespace gatehouse::controlplane::translate
