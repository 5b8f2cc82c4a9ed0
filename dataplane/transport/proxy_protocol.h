// The PROXY protocol header (HAProxy's "PROXY protocol" specification, versions 1 and 2) that a
// load balancer in TCP mode sends before the client's first byte, naming the client's address:
// read from the start of an accepted connection, before TLS or HTTP see its bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::transport {

// Version 1 headers are at most 107 bytes (the specification's bound); a version 2 header longer
// than this, its TLVs included, is refused rather than waited for.
inline constexpr size_t kMaxProxyV1Bytes = 107;
inline constexpr size_t kMaxProxyV2Bytes = 4096;

struct ProxyHeader {
  enum class State {
    kNeedMore,  // a prefix of a header: read more
    kComplete,  // the header is `length` bytes
    kInvalid,   // not a PROXY header, or a malformed one (`error` says why)
  };
  State state = State::kNeedMore;
  size_t length = 0;  // kComplete: the header's bytes, to consume
  size_t needed = 0;  // kNeedMore: nothing changes until this many bytes are in
  std::string error;
  // kComplete with a TCP over IPv4 or IPv6 source: the client's address (4 or 16 bytes) and
  // ports. Otherwise (version 2's LOCAL command, a load balancer's own health check; version 1's
  // UNKNOWN; another family) the connection's own peer stands.
  bool has_address = false;
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> source{};
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
};

// Reads the PROXY header at the start of `bytes`.
ProxyHeader ParseProxyHeader(absl::string_view bytes);

}  // namespace gatehouse::dataplane::transport
