// Process-level plumbing both binaries share: shutdown signals and build identity.
#pragma once

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gatehouse {

inline constexpr absl::string_view kBuildVersion = "0.1.0";

// Blocks SIGINT, SIGTERM and SIGPIPE in the calling thread and every thread it starts later, so
// WaitForShutdownSignal can take them synchronously. Call first thing in main().
void BlockShutdownSignals();

// Waits for SIGINT or SIGTERM and returns its number.
int WaitForShutdownSignal();

// Waits up to `timeout` for SIGINT or SIGTERM; returns its number, or 0 when none came.
int WaitForShutdownSignal(absl::Duration timeout);

}  // namespace gatehouse
