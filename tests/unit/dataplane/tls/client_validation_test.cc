// Client certificates in the handshake (tls::ClientValidation): a name with a validation asks
// for a certificate, verifies it against its CAs and depth, and records what it proved without
// ever failing the handshake for it; a name without one asks nothing. A session made for
// another name is never resumed into a name that asks (the class of nginx's CVE-2025-23419).
// Built against OpenSSL 3 and BoringSSL.
//
// testdata/client*.crt were made by tests/integration/pki.py (openssl ca): client_ca.crt, a
// root; client.crt (CN=alice) issued by it; client_expired.crt (CN=old), valid in 2020 only;
// client_via_team.crt, issued by an intermediate (team-ca, sent along) of the root;
// client_two_down.crt, issued by squad-ca under team-ca (both sent along); and
// client_stranger.crt, issued by an unrelated CA. crl_ca.crt, another root, and crl_ca.crl, its
// revocation list, naming client_crl_revoked.crt (CN=revoked) but not client_crl_kept.crt
// (CN=kept); client_crl_via_team.crt, issued by an intermediate of crl_ca that has no list.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_session.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/tls/handshake.h"

namespace gatehouse::dataplane::tls {
namespace {

using Verdict = PeerCertificate::Verdict;

class ClientValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = MustCreate("rsa.crt", "rsa_pkcs8.key");
    table_.Add("rsa.test", server_);
    Ask("mtls.test", 1);
    Ask("*.deep.test", 2);
  }
  void Ask(const std::string& name, int depth) {
    auto validation =
        ClientValidation::Create("validation-" + name, Read("client_ca.crt"), "", depth);
    ASSERT_TRUE(validation.ok()) << validation.status();
    table_.AddValidation(name, *validation);
  }
  // The handshake's record of the client's certificate; null when none was asked for.
  std::shared_ptr<const PeerCertificate> Connect(const ClientOptions& options) {
    Handshake handshake(*server_, &table_, options);
    EXPECT_TRUE(handshake.ok());  // never failed for a certificate
    return handshake.server().peer_certificate();
  }

  std::shared_ptr<const ServerContext> server_;
  CertificateTable table_;
};

TEST(ClientValidationCreateTest, RefusesABundleWithoutCertificatesAndADepthUnderOne) {
  EXPECT_FALSE(ClientValidation::Create("a", "not PEM", "", 1).ok());
  EXPECT_FALSE(ClientValidation::Create("a", "", "", 1).ok());
  EXPECT_FALSE(ClientValidation::Create("a", Read("client_ca.crt"), "", 0).ok());
  auto two = ClientValidation::Create("b", Read("client_ca.crt") + Read("ca.crt"), "", 3);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)->verify_depth(), 3);
  EXPECT_EQ((*two)->name(), "b");
}

TEST_F(ClientValidationTest, AGoodCertificateIsVerifiedAndDescribed) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto peer = Connect(ClientOptions()
                            .Name("mtls.test")
                            .MaxVersion(version)
                            .Certificate("client.crt", "client.key"));
    ASSERT_NE(peer, nullptr);
    EXPECT_EQ(peer->validation, "validation-mtls.test");
    EXPECT_EQ(peer->verdict, Verdict::kVerified) << peer->error;
    EXPECT_EQ(peer->error, "");
    EXPECT_EQ(peer->subject, "CN=alice");
    EXPECT_EQ(peer->issuer, "CN=client-ca");
    EXPECT_TRUE(absl::StartsWith(peer->pem, "-----BEGIN CERTIFICATE-----\n")) << peer->pem;
  }
}

TEST_F(ClientValidationTest, NoCertificateStillCompletesTheHandshake) {
  auto peer = Connect(ClientOptions().Name("mtls.test"));
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(peer->verdict, Verdict::kNone);
  EXPECT_EQ(peer->subject, "");
}

TEST_F(ClientValidationTest, ExpiredAndForeignCertificatesAreToldApart) {
  auto expired = Connect(
      ClientOptions().Name("mtls.test").Certificate("client_expired.crt", "client_expired.key"));
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->verdict, Verdict::kFailed);
  EXPECT_EQ(expired->error, "certificate has expired");
  EXPECT_EQ(expired->subject, "CN=old");

  auto stranger = Connect(
      ClientOptions().Name("mtls.test").Certificate("client_stranger.crt", "client_stranger.key"));
  ASSERT_NE(stranger, nullptr);
  EXPECT_EQ(stranger->verdict, Verdict::kUntrustedIssuer) << stranger->error;
  EXPECT_NE(stranger->error, "");
}

TEST(ClientValidationCreateTest, RefusesARevocationListThatIsNotOne) {
  EXPECT_FALSE(ClientValidation::Create("a", Read("crl_ca.crt"), "not PEM", 1).ok());
  // A certificate is not a revocation list.
  EXPECT_FALSE(ClientValidation::Create("a", Read("crl_ca.crt"), Read("crl_ca.crt"), 1).ok());
  EXPECT_TRUE(ClientValidation::Create("a", Read("crl_ca.crt"), Read("crl_ca.crl"), 2).ok());
}

// As nginx's ssl_crl (which ingress-nginx sets from the Secret's ca.crl): a revoked certificate
// fails, and so does every certificate whose issuer has no list in the validation (CRL_CHECK_ALL).
TEST_F(ClientValidationTest, ARevokedCertificateFails) {
  auto validation =
      ClientValidation::Create("crl", Read("crl_ca.crt"), Read("crl_ca.crl"), /*verify_depth=*/2);
  ASSERT_TRUE(validation.ok()) << validation.status();
  table_.AddValidation("crl.test", *validation);
  auto kept = Connect(
      ClientOptions().Name("crl.test").Certificate("client_crl_kept.crt", "client_crl_kept.key"));
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->verdict, Verdict::kVerified) << kept->error;
  EXPECT_EQ(kept->subject, "CN=kept");
  auto revoked = Connect(ClientOptions()
                             .Name("crl.test")
                             .Certificate("client_crl_revoked.crt", "client_crl_revoked.key"));
  ASSERT_NE(revoked, nullptr);
  EXPECT_EQ(revoked->verdict, Verdict::kFailed);
  EXPECT_EQ(revoked->error, "certificate revoked");
  auto unlisted = Connect(ClientOptions()
                              .Name("crl.test")
                              .Certificate("client_crl_via_team.crt", "client_crl_via_team.key"));
  ASSERT_NE(unlisted, nullptr);
  EXPECT_EQ(unlisted->verdict, Verdict::kFailed);
  EXPECT_EQ(unlisted->error, "unable to get certificate CRL");
  // Without the list, the revoked certificate passes: the list is what refuses it.
  auto no_list = ClientValidation::Create("no-crl", Read("crl_ca.crt"), "", 2);
  ASSERT_TRUE(no_list.ok());
  table_.AddValidation("no-crl.test", *no_list);
  auto passes = Connect(ClientOptions()
                            .Name("no-crl.test")
                            .Certificate("client_crl_revoked.crt", "client_crl_revoked.key"));
  ASSERT_NE(passes, nullptr);
  EXPECT_EQ(passes->verdict, Verdict::kVerified) << passes->error;
}

TEST_F(ClientValidationTest, TheDepthBoundsTheChain) {
  // As in nginx (ssl_verify_depth, the library's verify depth). OpenSSL 3 counts the
  // intermediate CAs between the client's certificate and a CA of the bundle; BoringSSL, like
  // OpenSSL before 1.1, counts the certificates above the client's, the CA's included: one
  // less intermediate at the same depth.
#ifdef OPENSSL_IS_BORINGSSL
  const int intermediates_at_depth_two = 1;
#else
  const int intermediates_at_depth_two = 2;
#endif
  auto direct = Connect(ClientOptions().Name("mtls.test").Certificate("client.crt", "client.key"));
  ASSERT_NE(direct, nullptr);
  EXPECT_EQ(direct->verdict, Verdict::kVerified) << direct->error;
  // Depth 2 on *.deep.test (found by its wildcard).
  auto one = Connect(ClientOptions()
                         .Name("a.deep.test")
                         .Certificate("client_via_team.crt", "client_via_team.key"));
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->validation, "validation-*.deep.test");
  EXPECT_EQ(one->verdict, Verdict::kVerified) << one->error;
  EXPECT_EQ(one->issuer, "CN=team-ca");
  auto two = Connect(ClientOptions()
                         .Name("a.deep.test")
                         .Certificate("client_two_down.crt", "client_two_down.key"));
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->verdict == Verdict::kVerified, intermediates_at_depth_two >= 2) << two->error;
  EXPECT_EQ(two->issuer, "CN=squad-ca");
  // Beyond the depth, the chain stops short of the bundle: its issuer is not found.
  auto too_deep = Connect(
      ClientOptions().Name("mtls.test").Certificate("client_two_down.crt", "client_two_down.key"));
  ASSERT_NE(too_deep, nullptr);
  EXPECT_NE(too_deep->verdict, Verdict::kVerified);
}

TEST_F(ClientValidationTest, AnExactNameWithoutAValidationIsNotAskedUnderAWildcardThatIs) {
  // *.deep.test asks; open.deep.test is a host of its own that does not (as nginx's exact
  // server_name wins over the wildcard's ssl_verify_client).
  table_.AddValidation("open.deep.test", nullptr);
  Handshake open(*server_, &table_, ClientOptions().Name("open.deep.test"));
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open.server().peer_certificate(), nullptr);
  auto other = Connect(ClientOptions().Name("other.deep.test"));
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->validation, "validation-*.deep.test");
}

TEST_F(ClientValidationTest, OnlyNamesWithAValidationAskAndTheyNameTheirCas) {
  Handshake plain(*server_, &table_, ClientOptions().Name("rsa.test"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.server().peer_certificate(), nullptr);
  EXPECT_EQ(SSL_get_client_CA_list(plain.client()), nullptr);

  Handshake asked(*server_, &table_, ClientOptions().Name("mtls.test").MaxVersion(TLS1_2_VERSION));
  ASSERT_TRUE(asked.ok());
#ifndef OPENSSL_IS_BORINGSSL  // BoringSSL's clients keep the names elsewhere (CRYPTO_BUFFERs)
  STACK_OF(X509_NAME)* names = SSL_get_client_CA_list(asked.client());
  ASSERT_NE(names, nullptr);
  ASSERT_EQ(sk_X509_NAME_num(names), 1u);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(sk_X509_NAME_value(names, 0), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "client-ca");
#endif
}

// A session made without a name's certificate check, resumed into that name: never resumed, but
// a full handshake that asks (not a failed one).
void ExpectFullHandshakeThatAsks(const ServerContext& server, const CertificateTable& table,
                                 int version, SSL_SESSION* session) {
  Handshake resumed(server, &table,
                    ClientOptions().Name("mtls.test").MaxVersion(version).Resume(session));
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(SSL_session_reused(resumed.client()), 0);
  ASSERT_NE(resumed.server().peer_certificate(), nullptr);
  EXPECT_EQ(resumed.server().peer_certificate()->validation, "v");
}

class ClientValidationResumptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.ticket_keys = &keys_;
    auto server = ServerContext::Create(Read("rsa.crt"), Read("rsa_pkcs8.key"), settings_);
    ASSERT_TRUE(server.ok());
    server_ = *server;
    auto validation = ClientValidation::Create("v", Read("client_ca.crt"), "", 1);
    ASSERT_TRUE(validation.ok());
    for (CertificateTable* table : {&without_, &with_}) {
      table->Add("rsa.test", server_);
      table->Add("mtls.test", server_);
    }
    with_.AddValidation("mtls.test", *validation);
  }
  // A session the server issued for `name`, under `table`.
  SSL_SESSION* SessionFor(const CertificateTable& table, const std::string& name, int version,
                          std::unique_ptr<Handshake>* keep) {
    *keep = std::make_unique<Handshake>(*server_, &table,
                                        ClientOptions().Name(name).MaxVersion(version));
    EXPECT_TRUE((*keep)->ok());
    (*keep)->Exchange("hello");
    return (*keep)->session();
  }

  TicketKeys keys_{absl::Hours(1)};
  ServerSettings settings_;
  std::shared_ptr<const ServerContext> server_;
  CertificateTable without_;  // mtls.test asks for nothing
  CertificateTable with_;     // mtls.test asks
};

TEST_F(ClientValidationResumptionTest, ASessionOfAnotherNameNeverSkipsTheCertificate) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version);
    std::unique_ptr<Handshake> first;
    SSL_SESSION* session = SessionFor(with_, "rsa.test", version, &first);
    ASSERT_NE(session, nullptr);
    // The same name resumes...
    Handshake again(*server_, &with_,
                    ClientOptions().Name("rsa.test").MaxVersion(version).Resume(session));
    EXPECT_TRUE(again.ok() && SSL_session_reused(again.client()) == 1);
    // ...a name that asks does not (the class of nginx's CVE-2025-23419).
    ExpectFullHandshakeThatAsks(*server_, with_, version, session);
  }
}

TEST_F(ClientValidationResumptionTest, ASessionFromBeforeTheNameAskedIsNotResumed) {
  // A client's ticket from before auth-tls was set for the host.
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version);
    std::unique_ptr<Handshake> first;
    SSL_SESSION* session = SessionFor(without_, "mtls.test", version, &first);
    ASSERT_NE(session, nullptr);
    ExpectFullHandshakeThatAsks(*server_, with_, version, session);
  }
}

TEST_F(ClientValidationResumptionTest, ACheckedSessionIssuesNoTicket) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version);
    Handshake checked(*server_, &with_,
                      ClientOptions()
                          .Name("mtls.test")
                          .MaxVersion(version)
                          .Certificate("client.crt", "client.key"));
    ASSERT_TRUE(checked.ok());
    checked.Exchange("hello");
    EXPECT_EQ(checked.session(), nullptr);
  }
}

}  // namespace
}  // namespace gatehouse::dataplane::tls
