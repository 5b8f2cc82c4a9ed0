// "HOST:PORT" addresses as flags spell them, with IPv6 hosts in brackets ("[::1]:8080").
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace gatehouse {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;

  // "host:port", bracketing IPv6 literals; what gRPC and curl accept.
  std::string ToString() const;
  bool operator==(const HostPort& other) const {
    return host == other.host && port == other.port;
  }
};

// Parses "HOST:PORT"; PORT 0 is allowed only when `allow_zero_port` (bind to any free port).
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, bool allow_zero_port = true);

// Parses a comma-separated list of HOST:PORT with at least one entry.
absl::StatusOr<std::vector<HostPort>> ParseHostPortList(absl::string_view text);

}  // namespace gatehouse
