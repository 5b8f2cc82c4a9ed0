// The PROXY protocol header. Reference: HAProxy's "The PROXY protocol" specification, versions 1
// and 2 (section 2.1: the human-readable header, at most 107 bytes, "PROXY TCP4|TCP6|UNKNOWN"
// with source and destination addresses and ports; section 2.2: the binary header, a 12-byte
// signature, version 2 with the LOCAL or PROXY command, the family and protocol byte, a 16-bit
// length, the addresses, then TLVs that a receiver may skip).
#include "dataplane/transport/proxy_protocol.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::transport {
namespace {

std::string Text(const ProxyHeader& header) {
  char text[INET6_ADDRSTRLEN] = "";
  if (header.has_address) inet_ntop(header.family, header.source.data(), text, sizeof(text));
  return std::string(text) + " " + std::to_string(header.source_port) + " " +
         std::to_string(header.destination_port);
}

const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

std::string V2(unsigned char version_command, unsigned char family_protocol,
               const std::string& body) {
  std::string out = kSignature;
  out += static_cast<char>(version_command);
  out += static_cast<char>(family_protocol);
  out += static_cast<char>(body.size() >> 8);
  out += static_cast<char>(body.size() & 0xFF);
  return out + body;
}

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// `header` followed by `after` reads as a header of its own length naming `expected`, and every
// prefix of it asks for more.
void ExpectHeader(const std::string& header, const std::string& after,
                  const std::string& expected) {
  std::string bytes = header + after;
  ProxyHeader parsed = ParseProxyHeader(bytes);
  ASSERT_EQ(parsed.state, ProxyHeader::State::kComplete) << absl::CEscape(header) << parsed.error;
  EXPECT_EQ(parsed.length, header.size());
  EXPECT_EQ(Text(parsed), expected);
  for (size_t n = 0; n < header.size(); ++n) {
    ProxyHeader part = ParseProxyHeader(absl::string_view(bytes).substr(0, n));
    EXPECT_EQ(part.state, ProxyHeader::State::kNeedMore) << n;
    EXPECT_GT(part.needed, n);
  }
}

TEST(ProxyProtocolTest, VersionOneNamesTheClient) {
  struct Case {
    std::string header;
    std::string expected;
  };
  const Case cases[] = {
      {"PROXY TCP4 203.0.113.9 10.0.0.1 56324 443\r\n", "203.0.113.9 56324 443"},
      {"PROXY TCP6 2001:db8::9 2001:db8::1 65535 80\r\n", "2001:db8::9 65535 80"},
      {"PROXY UNKNOWN\r\n", " 0 0"},
      {"PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n", " 0 0"},
  };
  for (const Case& c : cases) ExpectHeader(c.header, "GET / HTTP/1.1\r\n", c.expected);
}

TEST(ProxyProtocolTest, VersionTwoNamesTheClientAndSkipsItsTlvs) {
  std::string v4 = Bytes({203, 0, 113, 9, 10, 0, 0, 1, 0xDC, 0x04, 0x01, 0xBB});
  std::string v6 =
      Bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    9,    0x20, 0x01,
             0x0d, 0xb8, 0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x50, 0x00, 0x51});
  std::string tlv = Bytes({0x04, 0x00, 0x03, 'a', 'b', 'c'});  // PP2_TYPE_NOOP, 3 bytes
  struct Case {
    std::string header;
    std::string expected;
  };
  const Case cases[] = {
      {V2(0x21, 0x11, v4), "203.0.113.9 56324 443"},
      {V2(0x21, 0x11, v4 + tlv), "203.0.113.9 56324 443"},
      {V2(0x21, 0x21, v6), "2001:db8::9 80 81"},
      // LOCAL (a load balancer's own health check): the peer stands.
      {V2(0x20, 0x00, ""), " 0 0"},
      {V2(0x20, 0x11, v4), " 0 0"},
      // UDP and unix sockets carry no client address to use.
      {V2(0x21, 0x12, v4), " 0 0"},
      {V2(0x21, 0x31, std::string(216, 'u')), " 0 0"},
      {V2(0x21, 0x00, ""), " 0 0"},
  };
  for (const Case& c : cases) ExpectHeader(c.header, "\x16\x03\x01", c.expected);
}

TEST(ProxyProtocolTest, WhatIsNotAHeaderIsRefused) {
  std::string v4 = Bytes({203, 0, 113, 9, 10, 0, 0, 1, 0xDC, 0x04, 0x01, 0xBB});
  const std::string bad[] = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      std::string("\x16\x03\x01\x02\x00", 5),  // a TLS record: the header is missing
      "PROXY TCP4 203.0.113.9 10.0.0.1 56324\r\n",
      "PROXY TCP4 2001:db8::9 10.0.0.1 1 2\r\n",
      "PROXY TCP6 203.0.113.9 ::1 1 2\r\n",
      "PROXY TCP4 203.0.113.9 10.0.0.1 65536 443\r\n",
      "PROXY TCP4 203.0.113.9 10.0.0.1 0443 443\r\n",
      "PROXY TCP4 203.0.113.9 10.0.0.1 +1 443\r\n",
      "PROXY TCP4  203.0.113.9 10.0.0.1 1 443\r\n",
      "PROXY UDP4 203.0.113.9 10.0.0.1 1 443\r\n",
      "PROXY TCP4 " + std::string(100, '1') + "\r\n",  // longer than 107 bytes
      "PROXY TCP4 " + std::string(100, '1'),           // 107 bytes and no end
      V2(0x11, 0x11, v4),                              // version 1 in a version 2 signature
      V2(0x22, 0x11, v4),                              // an unknown command
      V2(0x21, 0x11, v4.substr(0, 11)),                // shorter than its addresses
      V2(0x21, 0x21, v4),
      V2(0x21, 0x41, v4),  // an unknown family
      V2(0x21, 0x11, v4 + std::string(kMaxProxyV2Bytes, '\0')),
  };
  for (const std::string& bytes : bad) {
    ProxyHeader header = ParseProxyHeader(bytes);
    EXPECT_EQ(header.state, ProxyHeader::State::kInvalid) << absl::CEscape(bytes);
    EXPECT_FALSE(header.error.empty());
  }
}

}  // namespace
}  // namespace gatehouse::dataplane::transport
