#include "common/request_key.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse {
namespace {

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct Named {
  absl::string_view name;
  RequestKeyTemplate::Kind kind;
};
constexpr Named kNamed[] = {
    {"remote_user", RequestKeyTemplate::Kind::kRemoteUser},
    {"remote_addr", RequestKeyTemplate::Kind::kRemoteAddr},
    {"host", RequestKeyTemplate::Kind::kHost},
    {"uri", RequestKeyTemplate::Kind::kUri},
    {"request_uri", RequestKeyTemplate::Kind::kRequestUri},
    {"args", RequestKeyTemplate::Kind::kArgs},
    {"scheme", RequestKeyTemplate::Kind::kScheme},
    {"request_method", RequestKeyTemplate::Kind::kMethod},
};

struct Prefixed {
  absl::string_view prefix;
  RequestKeyTemplate::Kind kind;
};
constexpr Prefixed kPrefixed[] = {
    {"http_", RequestKeyTemplate::Kind::kHeader},
    {"cookie_", RequestKeyTemplate::Kind::kCookie},
    {"arg_", RequestKeyTemplate::Kind::kArg},
};

absl::StatusOr<RequestKeyTemplate::Part> VariableNamed(absl::string_view name) {
  for (const Named& named : kNamed) {
    if (name == named.name) return RequestKeyTemplate::Part{named.kind, ""};
  }
  for (const Prefixed& prefixed : kPrefixed) {
    absl::string_view rest = name;
    if (absl::ConsumePrefix(&rest, prefixed.prefix) && !rest.empty()) {
      std::string value(rest);
      if (prefixed.kind == RequestKeyTemplate::Kind::kHeader) {
        value = absl::StrReplaceAll(absl::AsciiStrToLower(value), {{"_", "-"}});
      }
      return RequestKeyTemplate::Part{prefixed.kind, std::move(value)};
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("$", name,
                   " is not one of $http_NAME, $cookie_NAME, $arg_NAME, $remote_user, "
                   "$remote_addr, $host, $uri, $request_uri, $args, $scheme and $request_method"));
}

}  // namespace

absl::StatusOr<RequestKeyTemplate> RequestKeyTemplate::Parse(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("an empty key");
  if (key.size() > kMaxBytes) {
    return absl::InvalidArgumentError(absl::StrCat("longer than ", kMaxBytes, " bytes"));
  }
  if (!IsFieldValue(key)) {
    return absl::InvalidArgumentError(
        absl::StrCat(QuoteForMessage(key), " holds a control character"));
  }
  RequestKeyTemplate out;
  std::string text;
  auto add = [&](Part part) -> absl::Status {
    if (!text.empty()) out.parts_.push_back(Part{Kind::kText, std::move(text)});
    text.clear();
    if (part.kind != Kind::kText || !part.name.empty()) out.parts_.push_back(std::move(part));
    if (out.parts_.size() > kMaxParts) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxParts, " parts"));
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < key.size();) {
    if (key[i] != '$') {
      text.push_back(key[i++]);
      continue;
    }
    size_t start = i + 1;
    size_t end = start;
    bool braced = start < key.size() && key[start] == '{';
    if (braced) ++start, ++end;
    while (end < key.size() && IsNameChar(key[end])) ++end;
    absl::string_view name = key.substr(start, end - start);
    if (braced && (end >= key.size() || key[end] != '}')) {
      return absl::InvalidArgumentError(absl::StrCat("${", name, " has no closing brace"));
    }
    if (name.empty()) return absl::InvalidArgumentError("a $ without a variable name");
    absl::StatusOr<Part> part = VariableNamed(name);
    if (!part.ok()) return part.status();
    if (absl::Status added = add(*std::move(part)); !added.ok()) return added;
    i = braced ? end + 1 : end;
  }
  if (absl::Status added = add(Part{Kind::kText, ""}); !added.ok()) return added;
  return out;
}

std::string BasicAuthUser(absl::string_view authorization) {
  authorization = absl::StripLeadingAsciiWhitespace(authorization);
  if (authorization.size() < 6 || !absl::EqualsIgnoreCase(authorization.substr(0, 6), "basic ")) {
    return "";
  }
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(authorization.substr(6)), &decoded)) {
    return "";
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return "";
  decoded.resize(colon);
  return decoded;
}

}  // namespace gatehouse
