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
  const DownstreamInfo& downstream = callbacks().downstream();
  // One pass over the headers finds all of it, dropping the replaced ones as it goes.
  std::vector<http::HeaderMap::Entry>& entries = head.headers.mutable_entries();
  std::string forwarded_for;   // every X-Forwarded-For, in order, as one list
  std::string forwarded_host;  // the first X-Forwarded-Host
  bool has_forwarded_host = false;
  const size_t none = entries.size();
  size_t request_id = none;  // the first X-Request-Id
  size_t kept = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& name = entries[i].first;
    if (name.size() == 15 && absl::EqualsIgnoreCase(name, "x-forwarded-for")) {
      if (!forwarded_for.empty()) forwarded_for.append(", ");
      forwarded_for.append(entries[i].second);
      continue;
    }
    if (name.size() == 16 && absl::EqualsIgnoreCase(name, "x-forwarded-host")) {
      if (!has_forwarded_host) forwarded_host = std::move(entries[i].second);
      has_forwarded_host = true;
      continue;
    }
    bool replaced = (name.size() == 16 && absl::EqualsIgnoreCase(name, "x-forwarded-port")) ||
                    (name.size() == 17 && absl::EqualsIgnoreCase(name, "x-forwarded-proto")) ||
                    (name.size() == 9 && absl::EqualsIgnoreCase(name, "x-real-ip"));
    if (replaced) continue;
    if (request_id == none && name.size() == 12 && absl::EqualsIgnoreCase(name, "x-request-id")) {
      request_id = kept;
    }
    if (kept != i) entries[kept] = std::move(entries[i]);
    ++kept;
  }
  entries.resize(kept);

  head.headers.Add("X-Forwarded-For", ForwardedForValue(downstream, forwarded_for));
  head.headers.Add("X-Real-IP", downstream.client_ip);
  head.headers.Add("X-Forwarded-Proto", downstream.scheme);
  head.headers.Add("X-Forwarded-Host", downstream.forwarded && has_forwarded_host
                                           ? absl::string_view(forwarded_host)
                                           : absl::string_view(head.authority));
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

std::string ForwardedForValue(const DownstreamInfo& downstream, absl::string_view received) {
  // As ingress-nginx: the client's address alone, unless trusted proxies' lists are to be kept
  // (compute-full-forwarded-for), the peer then appended.
  if (!downstream.forwarded || !downstream.full_forwarded_for) return downstream.client_ip;
  return received.empty() ? downstream.peer_ip : absl::StrCat(received, ", ", downstream.peer_ip);
}

}  // namespace gatehouse::dataplane::filters
