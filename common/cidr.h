// Address ranges in CIDR notation ("10.0.0.0/8", "fd00::/8", or a bare address), IPv4 and IPv6,
// and whether an address falls in one of them: the peers a data plane trusts with
// X-Forwarded-For (--proxy-real-ip-cidr), and the allow and deny lists of IP-based access
// control. Both processes parse them the same way.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gatehouse {

// An IPv4 or IPv6 address, parsed once for any number of range checks; an IPv4 address mapped
// into IPv6 ("::ffff:10.0.0.1") is kept as the IPv4 address.
struct IpAddress {
  bool valid = false;  // false: the text was not an address
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};  // 4 used for IPv4

  static IpAddress Parse(absl::string_view text);
};

class CidrSet {
 public:
  // Ranges separated by commas (spaces around each are ignored); an IPv4 address mapped into
  // IPv6 ("::ffff:10.0.0.1") is matched as the IPv4 address.
  static absl::StatusOr<CidrSet> Parse(absl::string_view list);

  // Whether `ip` (text, without port or brackets) is in one of the ranges; false for text that
  // is not an address.
  bool Contains(absl::string_view ip) const;
  bool Contains(const IpAddress& ip) const;
  // Every IPv4 and IPv6 address (0.0.0.0/0 and ::/0).
  static CidrSet Any();
  bool empty() const { return ranges_.empty(); }
  size_t size() const { return ranges_.size(); }

 private:
  struct Range {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};
    int prefix = 0;
  };
  std::vector<Range> ranges_;
};

// A comma-separated list of addresses and ranges, entry by entry, as flags and annotations give
// them: the entries that are ranges (trimmed), and why each other is not.
struct RangeList {
  std::vector<std::string> ranges;
  std::vector<std::string> errors;
};
RangeList SplitRanges(absl::string_view list);

// Whether `text` is an IPv4 or IPv6 address.
bool IsIpAddress(absl::string_view text);

}  // namespace gatehouse
