#include "dataplane/filters/request_key_value.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dataplane/filters/redirect.h"

namespace gatehouse::dataplane::filters {
namespace {

using Kind = RequestKeyTemplate::Kind;

absl::string_view QueryOf(absl::string_view target) {
  size_t question = target.find('?');
  return question == absl::string_view::npos ? absl::string_view() : target.substr(question + 1);
}

// The first value of query parameter `name`, as sent (nginx's $arg_NAME, whose name is
// case-insensitive).
absl::string_view ArgOf(absl::string_view query, absl::string_view name) {
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    size_t equals = pair.find('=');
    absl::string_view key = pair.substr(0, equals);
    if (absl::EqualsIgnoreCase(key, name)) {
      return equals == absl::string_view::npos ? absl::string_view() : pair.substr(equals + 1);
    }
  }
  return {};
}

std::string PartValue(const RequestKeyTemplate::Part& part, const http::RequestHead& head,
                      const DownstreamInfo& downstream) {
  switch (part.kind) {
    case Kind::kText:
      return part.name;
    case Kind::kHeader: {
      const std::string* value = head.headers.Get(part.name);
      return value == nullptr ? std::string() : *value;
    }
    case Kind::kCookie:
      return std::string(head.headers.GetCookie(part.name).value_or(""));
    case Kind::kArg:
      return std::string(ArgOf(QueryOf(head.target), part.name));
    case Kind::kRemoteUser: {
      const std::string* authorization = head.headers.Get("authorization");
      return authorization == nullptr ? std::string() : BasicAuthUser(*authorization);
    }
    case Kind::kRemoteAddr:
      return downstream.client_ip;
    case Kind::kHost:
      return absl::AsciiStrToLower(HostWithoutPort(head.authority));
    case Kind::kUri:
      return std::string(head.Path());
    case Kind::kRequestUri:
      return head.target;
    case Kind::kArgs:
      return std::string(QueryOf(head.target));
    case Kind::kScheme:
      return downstream.scheme;
    case Kind::kMethod:
      return head.method;
  }
  return "";
}

}  // namespace

std::string RequestKeyValue(const RequestKeyTemplate& key, const http::RequestHead& head,
                            const DownstreamInfo& downstream) {
  std::string out;
  for (const RequestKeyTemplate::Part& part : key.parts()) {
    std::string value = PartValue(part, head, downstream);
    absl::StrAppend(&out, value.size(), ":", value);
  }
  return out;
}

}  // namespace gatehouse::dataplane::filters
