#include "dataplane/filters/forwarding_headers.h"

#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::dataplane::filters {

std::string NewRequestId(absl::InsecureBitGen& random) {
  uint64_t high = absl::Uniform<uint64_t>(random);
  uint64_t low = absl::Uniform<uint64_t>(random);
  high = (high & ~uint64_t{0xf000}) | 0x4000;                    // version 4
  low = (low & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // RFC 9562 variant
  // 8-4-4-4-12 hex digits, written directly: this runs for nearly every request.
  static constexpr char kDigits[] = "0123456789abcdef";
  char hex[32];
  for (int i = 0; i < 16; ++i) {
    hex[i] = kDigits[(high >> (60 - 4 * i)) & 0xf];
    hex[16 + i] = kDigits[(low >> (60 - 4 * i)) & 0xf];
  }
  std::string id(36, '-');
  std::memcpy(&id[0], hex, 8);
  std::memcpy(&id[9], hex + 8, 4);
  std::memcpy(&id[14], hex + 12, 4);
  std::memcpy(&id[19], hex + 16, 4);
  std::memcpy(&id[24], hex + 20, 12);
  return id;
}

absl::StatusOr<std::shared_ptr<const FilterFactory>> ForwardingHeadersFilter::Compile(
    const v1::ForwardingHeaders& config) {
  return std::make_shared<const PlainFactory<ForwardingHeadersFilter>>();
}

FilterStatus ForwardingHeadersFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  // One pass over the headers finds all of it, dropping the replaced ones as it goes.
  std::vector<http::HeaderMap::Entry>& entries = head.headers.mutable_entries();
  const size_t none = entries.size();
  size_t forwarded_for = none;  // the first X-Forwarded-For
  size_t request_id = none;     // the first X-Request-Id
  size_t kept = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& name = entries[i].first;
    bool replaced = (name.size() == 16 && (absl::EqualsIgnoreCase(name, "x-forwarded-host") ||
                                           absl::EqualsIgnoreCase(name, "x-forwarded-port"))) ||
                    (name.size() == 17 && absl::EqualsIgnoreCase(name, "x-forwarded-proto"));
    if (replaced) continue;
    if (name.size() == 15 && absl::EqualsIgnoreCase(name, "x-forwarded-for")) {
      if (forwarded_for != none) {
        entries[forwarded_for].second.append(", ").append(entries[i].second);
        continue;
      }
      forwarded_for = kept;
    }
    if (request_id == none && name.size() == 12 && absl::EqualsIgnoreCase(name, "x-request-id")) {
      request_id = kept;
    }
    if (kept != i) entries[kept] = std::move(entries[i]);
    ++kept;
  }
  entries.resize(kept);

  const DownstreamInfo& downstream = callbacks().downstream();
  if (forwarded_for != none) {
    entries[forwarded_for].second.append(", ").append(downstream.client_ip);
  } else {
    head.headers.Add("X-Forwarded-For", downstream.client_ip);
  }
  head.headers.Add("X-Forwarded-Proto", downstream.scheme);
  head.headers.Add("X-Forwarded-Host", head.authority);
  head.headers.Add("X-Forwarded-Port", absl::StrCat(downstream.local_port));
  if (request_id != none) {
    callbacks().SetRequestId(entries[request_id].second);
  } else {
    std::string id = NewRequestId(callbacks().random());
    callbacks().SetRequestId(id);
    head.headers.Add("X-Request-Id", id);
  }
  return FilterStatus::kContinue;
}

}  // namespace gatehouse::dataplane::filters
