#include "common/cidr.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace gatehouse {
namespace {

constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// `text` as address bytes (4 for IPv4, 16 for IPv6; a mapped IPv4 address as its 4); false when
// it is not an address.
bool ParseAddress(absl::string_view text, bool* v6, std::array<unsigned char, 16>* bytes) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  char copy[INET6_ADDRSTRLEN];  // inet_pton reads a terminated string
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  bytes->fill(0);
  if (inet_pton(AF_INET, copy, bytes->data()) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, copy, bytes->data()) != 1) return false;
  if (std::memcmp(bytes->data(), kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    std::memmove(bytes->data(), bytes->data() + 12, 4);
    std::memset(bytes->data() + 4, 0, 12);
    *v6 = false;
    return true;
  }
  *v6 = true;
  return true;
}

bool PrefixMatches(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                   int prefix) {
  int whole = prefix / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

bool IsIpAddress(absl::string_view text) { return IpAddress::Parse(text).valid; }

IpAddress IpAddress::Parse(absl::string_view text) {
  IpAddress out;
  out.valid = ParseAddress(text, &out.v6, &out.bytes);
  return out;
}

absl::StatusOr<CidrSet> CidrSet::Parse(absl::string_view list) {
  CidrSet out;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(item, absl::MaxSplits('/', 1));
    Range range;
    if (!ParseAddress(parts.first, &range.v6, &range.bytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat(QuoteForMessage(item), " is not an IP address or CIDR range"));
    }
    int bits = range.v6 ? 128 : 32;
    range.prefix = bits;
    bool slash = item.find('/') != absl::string_view::npos;
    if (slash && (!absl::SimpleAtoi(parts.second, &range.prefix) || range.prefix < 0 ||
                  range.prefix > bits || parts.second.empty() ||
                  !absl::ascii_isdigit(static_cast<unsigned char>(parts.second.front())))) {
      return absl::InvalidArgumentError(
          absl::StrCat(QuoteForMessage(item), " has a prefix length that is not 0 to ", bits));
    }
    out.ranges_.push_back(range);
  }
  return out;
}

RangeList SplitRanges(absl::string_view list) {
  RangeList out;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (absl::StatusOr<CidrSet> one = CidrSet::Parse(entry); !one.ok()) {
      out.errors.emplace_back(one.status().message());
    } else {
      out.ranges.emplace_back(entry);
    }
  }
  return out;
}

CidrSet CidrSet::Any() { return *Parse("0.0.0.0/0,::/0"); }

bool CidrSet::Contains(absl::string_view ip) const { return Contains(IpAddress::Parse(ip)); }

bool CidrSet::Contains(const IpAddress& ip) const {
  if (!ip.valid) return false;
  for (const Range& range : ranges_) {
    if (range.v6 == ip.v6 && PrefixMatches(range.bytes, ip.bytes, range.prefix)) return true;
  }
  return false;
}

}  // namespace gatehouse
