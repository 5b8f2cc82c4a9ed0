#include "dataplane/transport/proxy_protocol.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace gatehouse::dataplane::transport {
namespace {

constexpr absl::string_view kV1Prefix = "PROXY ";
constexpr unsigned char kV2SignatureBytes[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
const absl::string_view kV2Signature(reinterpret_cast<const char*>(kV2SignatureBytes), 12);

ProxyHeader Invalid(std::string error) {
  ProxyHeader header;
  header.state = ProxyHeader::State::kInvalid;
  header.error = std::move(error);
  return header;
}

ProxyHeader NeedMore(size_t needed) {
  ProxyHeader header;
  header.needed = needed;
  return header;
}

// A port as version 1 writes it: 1 to 5 digits, no sign, no leading zero, at most 65535.
bool ParsePort(absl::string_view text, uint16_t* port) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  uint32_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

bool ParseAddress(int family, absl::string_view text, unsigned char* out) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  std::string copy(text);
  return inet_pton(family, copy.c_str(), out) == 1;
}

// "PROXY TCP4 SRC DST SPORT DPORT\r\n", "PROXY TCP6 ...", or "PROXY UNKNOWN ...\r\n".
ProxyHeader ParseV1(absl::string_view bytes) {
  size_t end = bytes.substr(0, kMaxProxyV1Bytes).find("\r\n");
  if (end == absl::string_view::npos) {
    if (bytes.size() >= kMaxProxyV1Bytes) return Invalid("a version 1 header without its end");
    return NeedMore(bytes.size() + 1);
  }
  std::vector<absl::string_view> fields = absl::StrSplit(bytes.substr(0, end), ' ');
  ProxyHeader header;
  header.state = ProxyHeader::State::kComplete;
  header.length = end + 2;
  if (fields.size() >= 2 && fields[1] == "UNKNOWN") return header;
  if (fields.size() != 6) return Invalid("a version 1 header without its six fields");
  unsigned char destination[16];
  if (fields[1] == "TCP4") {
    header.family = AF_INET;
  } else if (fields[1] == "TCP6") {
    header.family = AF_INET6;
  } else {
    return Invalid("a version 1 header with an unknown protocol");
  }
  if (!ParseAddress(header.family, fields[2], header.source.data()) ||
      !ParseAddress(header.family, fields[3], destination) ||
      !ParsePort(fields[4], &header.source_port) ||
      !ParsePort(fields[5], &header.destination_port)) {
    return Invalid("a version 1 header with a malformed address or port");
  }
  header.has_address = true;
  return header;
}

uint16_t Read16(const unsigned char* at) { return static_cast<uint16_t>(at[0] << 8 | at[1]); }

// The 16-byte fixed part, then `length` bytes of addresses and TLVs.
ProxyHeader ParseV2(absl::string_view bytes) {
  if (bytes.size() < 16) return NeedMore(16);
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
  unsigned version = raw[12] >> 4;
  unsigned command = raw[12] & 0x0F;
  unsigned family = raw[13] >> 4;
  unsigned protocol = raw[13] & 0x0F;
  size_t total = 16 + static_cast<size_t>(Read16(raw + 14));
  if (version != 2) return Invalid("a version 2 signature with another version");
  if (command > 1) return Invalid("a version 2 header with an unknown command");
  if (total > kMaxProxyV2Bytes) return Invalid("a version 2 header longer than 4096 bytes");
  if (bytes.size() < total) return NeedMore(total);
  ProxyHeader header;
  header.state = ProxyHeader::State::kComplete;
  header.length = total;
  const bool stream = protocol == 1;
  if (command == 0 || !stream) return header;  // LOCAL, or not TCP: the peer stands
  const unsigned char* address = raw + 16;
  if (family == 1) {  // AF_INET: source, destination, source port, destination port
    if (total - 16 < 12) return Invalid("a version 2 IPv4 header shorter than its addresses");
    header.family = AF_INET;
    std::memcpy(header.source.data(), address, 4);
    header.source_port = Read16(address + 8);
    header.destination_port = Read16(address + 10);
    header.has_address = true;
  } else if (family == 2) {  // AF_INET6
    if (total - 16 < 36) return Invalid("a version 2 IPv6 header shorter than its addresses");
    header.family = AF_INET6;
    std::memcpy(header.source.data(), address, 16);
    header.source_port = Read16(address + 32);
    header.destination_port = Read16(address + 34);
    header.has_address = true;
  } else if (family > 3) {
    return Invalid("a version 2 header with an unknown address family");
  }
  return header;
}

}  // namespace

ProxyHeader ParseProxyHeader(absl::string_view bytes) {
  // What is here must be a prefix of one of the two signatures.
  size_t v1 = std::min(bytes.size(), kV1Prefix.size());
  if (bytes.substr(0, v1) == kV1Prefix.substr(0, v1)) {
    return bytes.size() < kV1Prefix.size() ? NeedMore(kV1Prefix.size()) : ParseV1(bytes);
  }
  size_t v2 = std::min(bytes.size(), kV2Signature.size());
  if (bytes.substr(0, v2) == kV2Signature.substr(0, v2)) {
    return bytes.size() < kV2Signature.size() ? NeedMore(16) : ParseV2(bytes);
  }
  return Invalid("the connection does not start with a PROXY protocol header");
}

}  // namespace gatehouse::dataplane::transport
