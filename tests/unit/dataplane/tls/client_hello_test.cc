// ParseClientHello on ClientHellos that OpenSSL writes (RFC 8446 section 4.1.2; the server_name
// extension of RFC 6066 section 3), whole, in pieces, split across records, and broken.
#include "dataplane/tls/client_hello.h"

#include <openssl/ssl.h>

#include <string>

#include "gtest/gtest.h"

namespace gatehouse::dataplane::tls {
namespace {

// The first bytes a TLS client sends, asking for `server_name` (none when empty).
std::string HelloFromOpenSsl(const std::string& server_name) {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(context);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  if (!server_name.empty()) SSL_set_tlsext_host_name(ssl, server_name.c_str());
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);
  char* data = nullptr;
  long size = BIO_get_mem_data(out, &data);
  std::string hello(data, size);
  SSL_free(ssl);
  SSL_CTX_free(context);
  return hello;
}

// A record of `fragment`, as a TLS 1.0 record layer writes a handshake.
std::string Record(const std::string& fragment) {
  std::string out = {'\x16', '\x03', '\x01', static_cast<char>(fragment.size() >> 8),
                     static_cast<char>(fragment.size() & 0xff)};
  return out + fragment;
}

TEST(ClientHelloTest, TheServerNameIsReadFromAWholeHello) {
  std::string hello = HelloFromOpenSsl("Shop.Example.Test");
  ClientHello parsed = ParseClientHello(hello);
  EXPECT_EQ(parsed.state, ClientHello::State::kComplete);
  EXPECT_EQ(parsed.server_name, "shop.example.test");
  // Bytes after the hello (the client's next flight) change nothing.
  EXPECT_EQ(ParseClientHello(hello + "\x14\x03\x03").server_name, "shop.example.test");
  parsed = ParseClientHello(HelloFromOpenSsl(""));
  EXPECT_EQ(parsed.state, ClientHello::State::kComplete);
  EXPECT_EQ(parsed.server_name, "");
}

TEST(ClientHelloTest, EveryPrefixAsksForMoreAndSaysHowMuch) {
  std::string hello = HelloFromOpenSsl("a.test");
  for (size_t size = 0; size < hello.size(); ++size) {
    ClientHello prefix = ParseClientHello(hello.substr(0, size));
    EXPECT_EQ(prefix.state, ClientHello::State::kNeedMore) << size;
    // Until the record header is in, its 5 bytes; then the whole record.
    EXPECT_EQ(prefix.needed, size < 5 ? 5 : hello.size()) << size;
  }
}

TEST(ClientHelloTest, AHelloSplitAcrossRecordsIsGathered) {
  std::string hello = HelloFromOpenSsl("split.test");
  std::string message = hello.substr(5);  // one record: its header, then the handshake
  size_t half = message.size() / 2;
  ClientHello parsed =
      ParseClientHello(Record(message.substr(0, half)) + Record(message.substr(half)));
  EXPECT_EQ(parsed.state, ClientHello::State::kComplete);
  EXPECT_EQ(parsed.server_name, "split.test");
}

TEST(ClientHelloTest, AHelloInMoreThanSixteenRecordsIsNotWaitedFor) {
  // A 100-byte ClientHello sent one byte per record: the 17th record is one too many.
  std::string message = std::string("\x01\x00\x00\x60", 4) + std::string(96, '\0');
  std::string records;
  for (size_t i = 0; i < 16; ++i) records += Record(message.substr(i, 1));
  EXPECT_EQ(ParseClientHello(records).state, ClientHello::State::kNeedMore);
  records += Record(message.substr(16, 1));
  EXPECT_EQ(ParseClientHello(records).state, ClientHello::State::kNotTls);
}

TEST(ClientHelloTest, WhatIsNotAClientHelloIsSaidSo) {
  EXPECT_EQ(ParseClientHello("GET / HTTP/1.1\r\n").state, ClientHello::State::kNotTls);
  EXPECT_EQ(ParseClientHello(std::string("\x16\x02\x00\x00\x10", 5)).state,
            ClientHello::State::kNotTls);  // not TLS 1.x's record version
  EXPECT_EQ(ParseClientHello(std::string("\x16\x03\x01\x00\x00", 5)).state,
            ClientHello::State::kNotTls);  // an empty record
  // A handshake that is not a ClientHello (a ServerHello).
  EXPECT_EQ(ParseClientHello(Record(std::string("\x02\x00\x00\x00", 4))).state,
            ClientHello::State::kNotTls);
  // A ClientHello claiming more than is waited for (64 KiB).
  EXPECT_EQ(ParseClientHello(Record(std::string("\x01\x01\x00\x00", 4))).state,
            ClientHello::State::kNotTls);
  // A length inside that runs past the message: cipher suites of 0x7fff bytes in a 40-byte body.
  std::string body = std::string("\x03\x03", 2) + std::string(32, 'r') +
                     std::string("\x00\x7f\xff\x00\x00\x00", 6);
  std::string message = std::string("\x01\x00\x00", 3) + static_cast<char>(body.size()) + body;
  EXPECT_EQ(ParseClientHello(Record(message)).state, ClientHello::State::kNotTls);
  // The same body with its lengths right is a ClientHello without a server name.
  body = std::string("\x03\x03", 2) + std::string(32, 'r') +
         std::string("\x00\x00\x02\x13\x01\x01\x00", 7);
  message = std::string("\x01\x00\x00", 3) + static_cast<char>(body.size()) + body;
  ClientHello minimal = ParseClientHello(Record(message));
  EXPECT_EQ(minimal.state, ClientHello::State::kComplete);
  EXPECT_EQ(minimal.server_name, "");
}

}  // namespace
}  // namespace gatehouse::dataplane::tls
