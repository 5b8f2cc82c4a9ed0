// A route's request mirror (config.proto's RequestMirror) checked and made ready for requests.
// Both processes compile it the same way: the control plane refuses what a data plane would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "common/location_template.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse {

struct MirrorPolicy {
  std::string cluster;
  std::optional<LocationTemplate> target;  // absent: the request's own target
  std::string host;                        // empty: the request's own Host
  bool with_body = false;
  uint32_t numerator = 1;
  uint32_t denominator = 0;  // 0: every request

  // Whether this request is copied.
  bool Sampled(absl::InsecureBitGen& random) const;
  // The copy's target, from the request target as the client sent it, its host (without port)
  // and scheme; `current` is the target after the filters.
  std::string Target(absl::string_view original, absl::string_view current, absl::string_view host,
                     absl::string_view scheme) const;
};

// An unusable mirror is an error naming what is wrong with it.
absl::StatusOr<MirrorPolicy> CompileMirror(const gatehouse::v1::RequestMirror& mirror);

}  // namespace gatehouse
