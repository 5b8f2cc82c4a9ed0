#include "common/location_template.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse {
namespace {

struct Variable {
  absl::string_view name;
  LocationTemplate::Part part;
};
// A name runs as far as letters, digits and '_' go, as nginx reads it: "$uri_x" is an unknown
// variable, not $uri followed by "_x".
constexpr Variable kVariables[] = {
    {"request_uri", LocationTemplate::Part::kRequestUri},
    {"scheme", LocationTemplate::Part::kScheme},
    {"args", LocationTemplate::Part::kArgs},
    {"escaped_request_uri", LocationTemplate::Part::kEscapedRequestUri},
    {"host", LocationTemplate::Part::kHost},
    {"uri", LocationTemplate::Part::kUri},
};

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

}  // namespace

bool IsAbsolutePathValue(absl::string_view path) {
  return absl::StartsWith(path, "/") && !absl::StartsWith(path, "//") && IsFieldValue(path) &&
         !absl::StrContains(path, ' ');
}

absl::StatusOr<LocationTemplate> LocationTemplate::Parse(absl::string_view location) {
  if (!IsFieldValue(location)) {
    return absl::InvalidArgumentError(
        absl::StrCat(QuoteForMessage(location), " is not a valid Location header value"));
  }
  LocationTemplate out;
  std::string text;
  for (size_t i = 0; i < location.size();) {
    if (location[i] != '$') {
      text.push_back(location[i++]);
      continue;
    }
    size_t end = i + 1;
    while (end < location.size() && IsNameChar(location[end])) ++end;
    absl::string_view name = location.substr(i + 1, end - i - 1);
    const Variable* found = nullptr;
    for (const Variable& variable : kVariables) {
      if (variable.name == name) found = &variable;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("$", name, " is not one of $request_uri, $uri, $args, $host and $scheme"));
    }
    if (!text.empty()) out.parts_.emplace_back(Part::kText, std::move(text));
    text.clear();
    out.parts_.emplace_back(found->part, "");
    i = end;
  }
  if (!text.empty()) out.parts_.emplace_back(Part::kText, std::move(text));
  return out;
}

std::string EscapeUriComponent(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

std::string LocationTemplate::Expand(absl::string_view request_uri, absl::string_view host,
                                     absl::string_view scheme) const {
  size_t question = request_uri.find('?');
  std::string out;
  for (const auto& [part, text] : parts_) {
    switch (part) {
      case Part::kText:
        out += text;
        break;
      case Part::kRequestUri:
        absl::StrAppend(&out, request_uri);
        break;
      case Part::kUri:
        absl::StrAppend(&out, request_uri.substr(0, question));
        break;
      case Part::kEscapedRequestUri:
        absl::StrAppend(&out, EscapeUriComponent(request_uri));
        break;
      case Part::kArgs:
        if (question != absl::string_view::npos)
          absl::StrAppend(&out, request_uri.substr(question + 1));
        break;
      case Part::kHost:
        absl::StrAppend(&out, host);
        break;
      case Part::kScheme:
        absl::StrAppend(&out, scheme);
        break;
    }
  }
  return out;
}

absl::string_view LocationTemplate::LiteralPrefix() const {
  if (parts_.empty() || parts_.front().first != Part::kText) return "";
  return parts_.front().second;
}

}  // namespace gatehouse
