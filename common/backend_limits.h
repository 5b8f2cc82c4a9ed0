// The bounds on a route's weighted clusters and timeouts, the same in both processes: the control
// plane refuses what a data plane would refuse.
#pragma once

#include <cstdint>

namespace gatehouse {

inline constexpr int kMaxWeightedClusters = 16;
// Gateway API's largest backend weight too.
inline constexpr uint32_t kMaxClusterWeight = 1000000;

// A route's connect, read and send timeouts are at most a day.
inline constexpr uint32_t kMaxRouteTimeoutMs = 24 * 3600 * 1000;

// A request's attempts under a route's retry policy; its "no limit" (0) means this many.
inline constexpr uint32_t kMaxRetryTries = 16;

// A route's request mirrors, and the denominator of the share of requests each copies.
inline constexpr int kMaxRequestMirrors = 8;
inline constexpr uint32_t kMaxMirrorDenominator = 1000000;

}  // namespace gatehouse
