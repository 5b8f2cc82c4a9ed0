// The libraries' own log lines (gRPC's, Protobuf's) written through our logger: one format and
// one level setting for everything the process says, with control characters escaped. gRPC
// says, for instance, why a config-stream client was refused ("certificate verify failed").
#pragma once

namespace gatehouse {

// Call once at start, before any thread uses gRPC or Protobuf.
void RouteLibraryLogs();

}  // namespace gatehouse
