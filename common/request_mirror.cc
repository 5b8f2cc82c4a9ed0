#include "common/request_mirror.h"

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "common/backend_limits.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse {
namespace {

// A request target is printable ASCII without spaces: anything else would break the request
// line it is written into.
bool IsTargetText(absl::string_view text) {
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

bool MirrorPolicy::Sampled(absl::InsecureBitGen& random) const {
  if (denominator == 0) return true;
  return absl::Uniform<uint32_t>(random, 0, denominator) < numerator;
}

std::string MirrorPolicy::Target(absl::string_view original, absl::string_view current,
                                 absl::string_view host, absl::string_view scheme) const {
  if (!target.has_value()) return std::string(current);
  return target->Expand(original, host, scheme);
}

absl::StatusOr<MirrorPolicy> CompileMirror(const gatehouse::v1::RequestMirror& mirror) {
  MirrorPolicy policy;
  if (mirror.cluster().empty()) return absl::InvalidArgumentError("the mirror names no cluster");
  policy.cluster = mirror.cluster();
  if (!mirror.target().empty()) {
    // Each variable expands to a part of a request target the data plane already accepted.
    if (!IsTargetText(mirror.target()) ||
        (mirror.target().front() != '/' && mirror.target().front() != '$')) {
      return absl::InvalidArgumentError(
          absl::StrCat("the mirror target ", QuoteForMessage(mirror.target()),
                       " is not a path of printable characters without spaces"));
    }
    absl::StatusOr<LocationTemplate> target = LocationTemplate::Parse(mirror.target());
    if (!target.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the mirror target: ", target.status().message()));
    }
    if (target->LiteralPrefix().empty() && mirror.target().front() != '$') {
      return absl::InvalidArgumentError("the mirror target is empty");
    }
    policy.target = *std::move(target);
  }
  if (!mirror.host().empty() && !IsHostAndPort(mirror.host())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the mirror host ", QuoteForMessage(mirror.host()), " is not a host name"));
  }
  policy.host = mirror.host();
  policy.with_body = mirror.with_body();
  if (mirror.denominator() != 0 &&
      (mirror.denominator() > kMaxMirrorDenominator || mirror.numerator() > mirror.denominator())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the mirror share ", mirror.numerator(), "/", mirror.denominator(),
                     " is not a fraction with a denominator of at most ", kMaxMirrorDenominator));
  }
  policy.numerator = mirror.numerator();
  policy.denominator = mirror.denominator();
  return policy;
}

}  // namespace gatehouse
