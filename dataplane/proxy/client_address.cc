#include "dataplane/proxy/client_address.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gatehouse::dataplane::proxy {
namespace {

// At most this many X-Forwarded-For entries are looked at, from the right: a chain of trusted
// proxies longer than this is not believed.
constexpr size_t kMaxForwardedEntries = 32;

}  // namespace

void ApplyForwardedHeaders(const ForwardedHeadersSettings& settings, const http::HeaderMap& headers,
                           filters::DownstreamInfo* info) {
  info->client_address = IpAddress::Parse(info->client_ip);
  if (!settings.use_forwarded_headers || !settings.trusted.Contains(info->client_address)) return;
  info->forwarded = true;
  info->full_forwarded_for = settings.compute_full_forwarded_for;
  info->peer_ip = info->client_ip;
  // Every X-Forwarded-For, in order, as one list.
  std::vector<absl::string_view> entries;
  for (const http::HeaderMap::Entry& entry : headers.entries()) {
    if (entry.first.size() != 15 || !absl::EqualsIgnoreCase(entry.first, "x-forwarded-for")) {
      continue;
    }
    for (absl::string_view item : absl::StrSplit(entry.second, ',')) {
      entries.push_back(absl::StripAsciiWhitespace(item));
    }
  }
  std::string client = info->client_ip;
  // After a PROXY header, that header alone names the client.
  size_t looked = info->proxy_protocol ? kMaxForwardedEntries : 0;
  for (auto it = entries.rbegin(); it != entries.rend() && looked < kMaxForwardedEntries;
       ++it, ++looked) {
    if (!IsIpAddress(*it)) {
      client = info->client_ip;  // a broken chain: the peer it is
      break;
    }
    client = std::string(*it);
    if (!settings.trusted.Contains(*it)) break;
  }
  info->client_ip = std::move(client);
  info->client_address = IpAddress::Parse(info->client_ip);
  if (const std::string* proto = headers.Get("x-forwarded-proto")) {
    std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*proto));
    if (lower == "http" || lower == "https") info->scheme = std::move(lower);
  }
  if (const std::string* port = headers.Get("x-forwarded-port")) {
    uint32_t value = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*port), &value) && value > 0 &&
        value <= 65535) {
      info->local_port = static_cast<uint16_t>(value);
    }
  }
}

}  // namespace gatehouse::dataplane::proxy
