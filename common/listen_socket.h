// Listening TCP sockets bound from a HOST:PORT flag value, for servers that take over a raw
// descriptor (the data plane's workers) or only check that a port is free (gRPC servers).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "common/net_address.h"

namespace gatehouse {

// Binds a TCP listening socket on `address`; the caller owns the descriptor.
absl::StatusOr<int> ListenTcp(const HostPort& address, bool reuse_port, int backlog = 1024);

// The port a bound socket got.
uint16_t BoundPort(int fd);

}  // namespace gatehouse
