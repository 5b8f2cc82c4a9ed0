#include "common/http_syntax.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gatehouse {
namespace {

// tchar of RFC 9110 section 5.6.2.
struct TokenTable {
  bool allowed[256] = {};
  constexpr TokenTable() {
    for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
    for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) {
      allowed[static_cast<unsigned char>(c)] = true;
    }
  }
};
constexpr TokenTable kTokenTable;

}  // namespace

bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!kTokenTable.allowed[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool IsWritableField(absl::string_view name, absl::string_view value) {
  return IsToken(name) &&
         value.find_first_of(absl::string_view("\r\n\0", 3)) == absl::string_view::npos;
}

bool IsFieldValue(absl::string_view value) {
  for (char c : value) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 ? byte != '\t' : byte == 0x7f) return false;
  }
  return value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                           value.back() != '\t');
}

bool IsOriginFormTarget(absl::string_view target) {
  if (target.empty() || target.front() != '/') return false;
  for (char c : target) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

bool IsAbsoluteHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  for (char c : rest) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

bool IsQuotedStringText(absl::string_view text, size_t max_size) {
  if (text.size() > max_size) return false;
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

bool IsDnsName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  return true;
}

bool IsEditableHeaderName(absl::string_view name) {
  if (!IsToken(name)) return false;
  for (absl::string_view reserved :
       {"content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te",
        "trailer", "upgrade", "host"}) {
    if (absl::EqualsIgnoreCase(name, reserved)) return false;
  }
  return true;
}

bool IsHostAndPort(absl::string_view authority) {
  absl::string_view host = authority;
  if (size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    absl::string_view port = authority.substr(colon + 1);
    int number = 0;
    if (port.empty() || port.size() > 5 || !absl::SimpleAtoi(port, &number) || number < 1 ||
        number > 65535) {
      return false;
    }
    host = authority.substr(0, colon);
  }
  return IsDnsName(host);
}

}  // namespace gatehouse
