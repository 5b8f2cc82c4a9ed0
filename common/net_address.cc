#include "common/net_address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gatehouse {

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, bool allow_zero_port) {
  HostPort out;
  absl::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError("want [IPV6]:PORT");
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return absl::InvalidArgumentError("want HOST:PORT");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) {
      return absl::InvalidArgumentError("put an IPv6 host in brackets: [HOST]:PORT");
    }
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return absl::InvalidArgumentError("the host is empty");
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535 ||
      (port == 0 && !allow_zero_port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port \"", port_text, "\""));
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

absl::StatusOr<std::vector<HostPort>> ParseHostPortList(absl::string_view text) {
  std::vector<HostPort> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(part, /*allow_zero_port=*/false);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", part, "\": ", parsed.status().message()));
    }
    out.push_back(*std::move(parsed));
  }
  if (out.empty()) return absl::InvalidArgumentError("want at least one HOST:PORT");
  return out;
}

}  // namespace gatehouse
