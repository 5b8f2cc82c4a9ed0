// The origins a CORS policy allows (ingress-nginx's cors-allow-origin entries): both processes
// parse them the same way, the control plane to check an annotation, the data plane to match a
// request's Origin header (the Fetch standard's serialized origin, "scheme://host[:port]").
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gatehouse {

class CorsOrigin {
 public:
  // "scheme://host[:port]" with a lower-case scheme of letters, a host of letters, digits, '-'
  // and '.', and a port of 1 to 5 digits; or "scheme://*.host[:port]", where "*" stands for
  // exactly one DNS label; or "null". No path, no trailing "/". "*" (every origin) is not an
  // entry: the policy says that apart.
  static absl::StatusOr<CorsOrigin> Parse(absl::string_view entry);

  // Whether the Origin header `origin` is this one: compared whole and without regard to case,
  // the port only when it is written out (as browsers serialize origins, without a default
  // port).
  bool Matches(absl::string_view origin) const;

 private:
  std::string prefix_;  // "scheme://", or "scheme://" then the host for an exact entry
  std::string suffix_;  // for "*." entries: ".host[:port]"; else empty
  bool wildcard_ = false;
};

// The most entries one policy holds.
inline constexpr int kMaxCorsOrigins = 256;

}  // namespace gatehouse
