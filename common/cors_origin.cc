#include "common/cors_origin.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace gatehouse {
namespace {

bool IsHostCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

// One DNS label of letters, digits and '-' (what "*" stands for).
bool IsLabel(absl::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<CorsOrigin> CorsOrigin::Parse(absl::string_view entry) {
  CorsOrigin origin;
  if (entry == "null") {
    origin.prefix_ = "null";
    return origin;
  }
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(QuoteForMessage(entry), " ", why));
  };
  size_t colon = entry.find("://");
  if (colon == absl::string_view::npos || colon == 0) {
    return refuse("is not an origin (scheme://host[:port])");
  }
  absl::string_view scheme = entry.substr(0, colon);
  for (char c : scheme) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c))) {
      return refuse("has a scheme that is not lower-case letters");
    }
  }
  absl::string_view rest = entry.substr(colon + 3);
  if (absl::ConsumePrefix(&rest, "*.")) origin.wildcard_ = true;
  absl::string_view host = rest;
  absl::string_view port;
  if (size_t at = rest.find(':'); at != absl::string_view::npos) {
    host = rest.substr(0, at);
    port = rest.substr(at + 1);
    if (port.empty() || port.size() > 5) return refuse("has a port that is not 1 to 5 digits");
    for (char c : port) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return refuse("has a port that is not 1 to 5 digits");
      }
    }
  }
  if (host.empty()) return refuse("has no host");
  for (char c : host) {
    if (!IsHostCharacter(c)) {
      return refuse("has a host that is not letters, digits, '-' and '.' (no path, no '/')");
    }
  }
  std::string lower_rest = absl::AsciiStrToLower(rest);
  if (origin.wildcard_) {
    origin.prefix_ = absl::StrCat(scheme, "://");
    origin.suffix_ = absl::StrCat(".", lower_rest);
  } else {
    origin.prefix_ = absl::StrCat(scheme, "://", lower_rest);
  }
  return origin;
}

bool CorsOrigin::Matches(absl::string_view origin) const {
  if (!wildcard_) return absl::EqualsIgnoreCase(origin, prefix_);
  if (origin.size() <= prefix_.size() + suffix_.size()) return false;
  if (!absl::StartsWithIgnoreCase(origin, prefix_) || !absl::EndsWithIgnoreCase(origin, suffix_)) {
    return false;
  }
  return IsLabel(origin.substr(prefix_.size(), origin.size() - prefix_.size() - suffix_.size()));
}

}  // namespace gatehouse
