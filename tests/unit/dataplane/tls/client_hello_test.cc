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

TEST(ClientHelloTest, EveryPrefixAsksForMore) {
  std::string hello = HelloFromOpenSsl("a.test");
  for (size_t size = 0; size < hello.size(); ++size) {
    EXPECT_EQ(ParseClientHello(hello.substr(0, size)).state, ClientHello::State::kNeedMore) << size;
  }
}

TEST(ClientHelloTest, AHelloSplitAcrossRecordsIsGathered) {
  std::string hello = HelloFromOpenSsl("split.test");
  std::string message = hello.substr(5);  // one record: its header, then the handshake
  size_t half = message.size() / 2;
  auto record = [](const std::string& fragment) {
    std::string out = {'\x16', '\x03', '\x01', static_cast<char>(fragment.size() >> 8),
                       static_cast<char>(fragment.size() & 0xff)};
    return out + fragment;
  };
  std::string split = record(message.substr(0, half)) + record(message.substr(half));
  ClientHello parsed = ParseClientHello(split);
  EXPECT_EQ(parsed.state, ClientHello::State::kComplete);
  EXPECT_EQ(parsed.server_name, "split.test");
}

TEST(ClientHelloTest, WhatIsNotAClientHelloIsSaidSo) {
  EXPECT_EQ(ParseClientHello("GET / HTTP/1.1\r\n").state, ClientHello::State::kNotTls);
  EXPECT_EQ(ParseClientHello(std::string("\x16\x02\x00\x00\x10", 5)).state,
            ClientHello::State::kNotTls);  // not TLS 1.x's record version
  EXPECT_EQ(ParseClientHello(std::string("\x16\x03\x01\x00\x00", 5)).state,
            ClientHello::State::kNotTls);  // an empty record
  // A handshake that is not a ClientHello (a ServerHello).
  EXPECT_EQ(ParseClientHello(std::string("\x16\x03\x03\x00\x04\x02\x00\x00\x00", 9)).state,
            ClientHello::State::kNotTls);
  // A ClientHello claiming more than is waited for.
  EXPECT_EQ(ParseClientHello(std::string("\x16\x03\x01\x00\x04\x01\x01\x00\x00", 9)).state,
            ClientHello::State::kNotTls);
  // Lengths inside that run past the message.
  std::string hello = HelloFromOpenSsl("a.test");
  std::string broken = hello;
  broken[5 + 4 + 2 + 32] = '\x7f';  // the session id's length
  EXPECT_EQ(ParseClientHello(broken).state, ClientHello::State::kNotTls);
  // Records that never complete a message are not waited for past the limit.
  std::string endless;
  std::string fragment = {'\x01', '\x00', '\xff', '\xff'};  // a 64 KiB ClientHello's header
  endless += std::string("\x16\x03\x01\x00\x04", 5) + fragment;
  EXPECT_EQ(ParseClientHello(endless).state, ClientHello::State::kNotTls);
}

}  // namespace
}  // namespace gatehouse::dataplane::tls
