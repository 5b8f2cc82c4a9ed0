// The TLS layer against a real client in the same process: contexts from PEM (RSA keys in
// PKCS#1 and PKCS#8, ECDSA, chains), SNI, ALPN, versions, cipher settings and session tickets
// with rotating keys. Built twice: against OpenSSL 3 and against BoringSSL, so it uses only the
// API both share.
//
// testdata/ was made with the openssl command: 2048-bit RSA and P-256 keys, self-signed
// certificates for rsa.test and *.wild.test, and chain.test issued by a test CA (chain.crt is
// the leaf, then the CA), each valid for 100 years.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_session.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/tls/handshake.h"

namespace gatehouse::dataplane::tls {
namespace {

TEST(ServerContextTest, LoadsRsaKeysInBothEncodingsAndEcdsa) {
  EXPECT_NE(MustCreate("rsa.crt", "rsa_pkcs1.key"), nullptr);
  EXPECT_NE(MustCreate("rsa.crt", "rsa_pkcs8.key"), nullptr);
  EXPECT_NE(MustCreate("ec.crt", "ec.key"), nullptr);
  EXPECT_NE(MustCreate("chain.crt", "leaf.key"), nullptr);
}

TEST(ServerContextTest, RefusesWhatDoesNotParseOrMatchWithoutShowingTheKey) {
  auto mismatched =
      ServerContext::Create(Read("rsa.crt"), Read("ec.key"), ServerSettings::Defaults());
  ASSERT_FALSE(mismatched.ok());
  EXPECT_TRUE(absl::StrContains(mismatched.status().message(), "not the certificate's"));
  EXPECT_FALSE(absl::StrContains(mismatched.status().message(), "PRIVATE"));
  auto garbage =
      ServerContext::Create("not a certificate", Read("ec.key"), ServerSettings::Defaults());
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(absl::StrContains(garbage.status().message(), "does not parse"));
  auto no_key = ServerContext::Create(Read("ec.crt"), "", ServerSettings::Defaults());
  EXPECT_FALSE(no_key.ok());
}

TEST(ServerContextTest, SelfSignedDefaultServesAHandshake) {
  auto context =
      ServerContext::CreateSelfSigned("gatehouse default certificate", ServerSettings::Defaults());
  ASSERT_TRUE(context.ok()) << context.status();
  Handshake handshake(**context, nullptr, {});
  ASSERT_TRUE(handshake.ok());
  EXPECT_EQ(handshake.PeerName(), "gatehouse default certificate");
}

TEST(CertificateTableTest, ExactThenWildcardThenNothing) {
  CertificateTable table;
  auto rsa = MustCreate("rsa.crt", "rsa_pkcs1.key");
  auto wild = MustCreate("ec.crt", "ec.key");
  table.Add("rsa.test", rsa);
  table.Add("*.wild.test", wild);
  EXPECT_EQ(table.Find("rsa.test"), rsa.get());
  EXPECT_EQ(table.Find("RSA.Test"), rsa.get());
  EXPECT_EQ(table.Find("a.wild.test"), wild.get());
  EXPECT_EQ(table.Find("wild.test"), nullptr);
  EXPECT_EQ(table.Find("a.b.wild.test"), nullptr);  // one label only
  EXPECT_EQ(table.Find("other.test"), nullptr);
}

class TlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fallback = ServerContext::CreateSelfSigned("fallback", ServerSettings::Defaults());
    ASSERT_TRUE(fallback.ok());
    fallback_ = *fallback;
    table_.Add("rsa.test", MustCreate("rsa.crt", "rsa_pkcs8.key"));
    table_.Add("*.wild.test", MustCreate("ec.crt", "ec.key"));
    table_.Add("chain.test", MustCreate("chain.crt", "leaf.key"));
  }
  std::shared_ptr<const ServerContext> fallback_;
  CertificateTable table_;
};

TEST_F(TlsSessionTest, SniPicksTheCertificate) {
  for (const auto& [name, expected] :
       std::vector<std::pair<std::string, std::string>>{{"rsa.test", "rsa.test"},
                                                        {"x.wild.test", "wild.test"},
                                                        {"unknown.test", "fallback"},
                                                        {"", "fallback"}}) {
    Handshake handshake(*fallback_, &table_, ClientOptions().Name(name));
    ASSERT_TRUE(handshake.ok()) << name;
    EXPECT_EQ(handshake.PeerName(), expected) << name;
  }
  // The table's default, when it has one, before the process's own.
  table_.SetDefault(MustCreate("rsa.crt", "rsa_pkcs1.key"));
  Handshake handshake(*fallback_, &table_, ClientOptions().Name("unknown.test"));
  EXPECT_EQ(handshake.PeerName(), "rsa.test");
}

TEST_F(TlsSessionTest, SendsTheWholeChain) {
  Handshake handshake(*fallback_, &table_, ClientOptions().Name("chain.test"));
  ASSERT_TRUE(handshake.ok());
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(handshake.client());
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(sk_X509_num(chain), 2u);
}

TEST_F(TlsSessionTest, AlpnPrefersH2ThenHttp11) {
  const std::string both("\x02h2\x08http/1.1", 12);
  const std::string http11("\x08http/1.1", 9);
  {
    Handshake handshake(*fallback_, &table_, ClientOptions().Name("rsa.test").Alpn(both));
    ASSERT_TRUE(handshake.ok());
    EXPECT_EQ(handshake.server().alpn(), "h2");
  }
  {
    Handshake handshake(*fallback_, &table_, ClientOptions().Name("rsa.test").Alpn(http11));
    ASSERT_TRUE(handshake.ok());
    EXPECT_EQ(handshake.server().alpn(), "http/1.1");
  }
  {
    Handshake handshake(*fallback_, &table_, ClientOptions().Name("rsa.test"));
    ASSERT_TRUE(handshake.ok());
    EXPECT_EQ(handshake.server().alpn(), "");
  }
}

TEST_F(TlsSessionTest, VersionsFollowTheSettings) {
  Handshake tls12(*fallback_, &table_, ClientOptions().Name("rsa.test").MaxVersion(TLS1_2_VERSION));
  ASSERT_TRUE(tls12.ok());
  EXPECT_EQ(SSL_version(tls12.client()), TLS1_2_VERSION);
  Handshake tls11(*fallback_, &table_, ClientOptions().Name("rsa.test").MaxVersion(TLS1_1_VERSION));
  EXPECT_FALSE(tls11.ok());

  ServerSettings tls13_only;
  tls13_only.tls13_only = true;
  auto strict = ServerContext::CreateSelfSigned("strict", tls13_only);
  ASSERT_TRUE(strict.ok());
  Handshake refused(**strict, nullptr, ClientOptions().MaxVersion(TLS1_2_VERSION));
  EXPECT_FALSE(refused.ok());
  Handshake accepted(**strict, nullptr, {});
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(SSL_version(accepted.client()), TLS1_3_VERSION);
}

TEST_F(TlsSessionTest, CipherSettingsChooseTheTls12Suite) {
  ServerSettings settings;
  settings.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
  EXPECT_TRUE(settings.Validate().ok());
  auto context = ServerContext::Create(Read("ec.crt"), Read("ec.key"), settings);
  ASSERT_TRUE(context.ok());
  Handshake handshake(**context, nullptr, ClientOptions().MaxVersion(TLS1_2_VERSION));
  ASSERT_TRUE(handshake.ok());
  EXPECT_STREQ(SSL_CIPHER_get_name(SSL_get_current_cipher(handshake.client())),
               "ECDHE-ECDSA-CHACHA20-POLY1305");

  ServerSettings unknown;
  unknown.ciphers = "NO-SUCH-CIPHER";
  EXPECT_FALSE(unknown.Validate().ok());
  bool tls13_only = false;
  EXPECT_TRUE(ParseMinVersion("1.3", &tls13_only).ok());
  EXPECT_TRUE(tls13_only);
  EXPECT_FALSE(ParseMinVersion("1.1", &tls13_only).ok());
}

TEST_F(TlsSessionTest, DecryptsWhatTheClientSends) {
  Handshake handshake(*fallback_, &table_, ClientOptions().Name("rsa.test"));
  ASSERT_TRUE(handshake.ok());
  EXPECT_EQ(handshake.Exchange("GET / HTTP/1.1\r\n\r\n"), "GET / HTTP/1.1\r\n\r\n");
}

// Resumes with the session the first handshake left, at each TLS version.
bool Resumes(const ServerContext& context, int version, absl::Duration wait) {
  Handshake first(context, nullptr, ClientOptions().MaxVersion(version));
  if (!first.ok()) return false;
  first.Exchange("hello");
  SSL_SESSION* session = first.session();
  if (session == nullptr) return false;
  if (wait > absl::ZeroDuration()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(absl::ToInt64Milliseconds(wait)));
  }
  Handshake second(context, nullptr, ClientOptions().MaxVersion(version).Resume(session));
  return second.ok() && SSL_session_reused(second.client()) == 1;
}

TEST(TicketTest, SessionsResumeWithTicketsAndNotWithout) {
  TicketKeys keys(absl::Hours(1));
  ServerSettings with_tickets;
  with_tickets.ticket_keys = &keys;
  auto context = ServerContext::CreateSelfSigned("tickets", with_tickets);
  ASSERT_TRUE(context.ok());
  EXPECT_TRUE(Resumes(**context, TLS1_3_VERSION, absl::ZeroDuration()));
  EXPECT_TRUE(Resumes(**context, TLS1_2_VERSION, absl::ZeroDuration()));

  auto without = ServerContext::CreateSelfSigned("no tickets", ServerSettings::Defaults());
  ASSERT_TRUE(without.ok());
  Handshake handshake(**without, nullptr, ClientOptions());
  ASSERT_TRUE(handshake.ok());
  handshake.Exchange("hello");
  EXPECT_EQ(handshake.session(), nullptr);  // none issued
  EXPECT_FALSE(Resumes(**without, TLS1_3_VERSION, absl::ZeroDuration()));
  EXPECT_FALSE(Resumes(**without, TLS1_2_VERSION, absl::ZeroDuration()));
}

TEST(TicketTest, KeysRotateAndRetire) {
  TicketKeys keys(absl::Milliseconds(300));
  TicketKeys::Key first = keys.Current();
  TicketKeys::Key found;
  bool newest = false;
  ASSERT_TRUE(keys.Find(first.name, &found, &newest));
  EXPECT_TRUE(newest);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  // Due: still accepted, but no longer the newest (the ticket is renewed).
  ASSERT_TRUE(keys.Find(first.name, &found, &newest));
  EXPECT_FALSE(newest);
  TicketKeys::Key second = keys.Current();
  EXPECT_NE(std::string(reinterpret_cast<char*>(first.name), 16),
            std::string(reinterpret_cast<char*>(second.name), 16));
  ASSERT_TRUE(keys.Find(first.name, &found, &newest));
  EXPECT_FALSE(newest);
  // Two more periods without a rotation: the first key would have been retired by now.
  std::this_thread::sleep_for(std::chrono::milliseconds(650));
  EXPECT_FALSE(keys.Find(first.name, &found, &newest));
  unsigned char unknown[16] = {};
  EXPECT_FALSE(keys.Find(unknown, &found, &newest));
}

TEST(TicketTest, ATicketOfARetiredKeyMeansAFullHandshake) {
  TicketKeys keys(absl::Milliseconds(100));
  ServerSettings settings;
  settings.ticket_keys = &keys;
  auto context = ServerContext::CreateSelfSigned("rotating", settings);
  ASSERT_TRUE(context.ok());
  EXPECT_FALSE(Resumes(**context, TLS1_3_VERSION, absl::Milliseconds(400)));
  EXPECT_FALSE(Resumes(**context, TLS1_2_VERSION, absl::Milliseconds(400)));
}

// A client TlsSession against a server TlsSession; true when both finish the handshake.
bool Connects(TlsSession& client, TlsSession& server) {
  std::string plaintext;
  if (!client.Receive("", &plaintext).ok()) return false;  // the ClientHello
  for (int round = 0; round < 10; ++round) {
    if (!server.Receive(client.TakeOutgoing(), &plaintext).ok()) return false;
    if (!client.Receive(server.TakeOutgoing(), &plaintext).ok()) return false;
    if (client.handshake_done() && server.handshake_done()) return true;
  }
  return false;
}

TEST_F(TlsSessionTest, ClientsVerifyTheServerWhenAsked) {
  auto server_context = MustCreate("chain.crt", "leaf.key");
  auto trusting = ClientContext::Create(true, Read("ca.crt"), /*http2=*/true);
  ASSERT_TRUE(trusting.ok()) << trusting.status();
  auto other_ca = ClientContext::Create(true, Read("ec.crt"), /*http2=*/false);
  ASSERT_TRUE(other_ca.ok());
  auto trusting_any = ClientContext::Create(false, "", /*http2=*/false);
  ASSERT_TRUE(trusting_any.ok());
  EXPECT_FALSE(ClientContext::Create(true, "no PEM here", false).ok());

  auto attempt = [&](const ClientContext& context, const std::string& name) {
    auto client = TlsSession::Client(context, name);
    auto server = TlsSession::Server(*server_context, nullptr);
    bool connected = client != nullptr && Connects(*client, *server);
    return std::make_pair(connected, connected ? std::string(client->alpn()) : std::string());
  };
  EXPECT_EQ(attempt(**trusting, "chain.test"), std::make_pair(true, std::string("h2")));
  EXPECT_FALSE(attempt(**trusting, "other.test").first);  // not the certificate's name
  EXPECT_FALSE(attempt(**other_ca, "chain.test").first);  // not signed by that CA
  EXPECT_EQ(attempt(**trusting_any, "anything"), std::make_pair(true, std::string("http/1.1")));
}

}  // namespace
}  // namespace gatehouse::dataplane::tls
