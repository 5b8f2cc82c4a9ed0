#include "controlplane/pki/xds_certificates.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "gtest/gtest.h"

namespace gatehouse::controlplane::pki {
namespace {

X509* ReadCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// Whether `leaf` chains to `ca` for `purpose` (X509_PURPOSE_SSL_SERVER or _CLIENT), and, when
// `host` is set, names it.
bool Verifies(const std::string& ca, const std::string& leaf, int purpose,
              const std::string& host = "") {
  X509* ca_cert = ReadCert(ca);
  X509* leaf_cert = ReadCert(leaf);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_cert);
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf_cert, nullptr);
  X509_STORE_CTX_set_purpose(context, purpose);
  if (!host.empty())
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(context), host.c_str(), 0);
  bool ok = X509_verify_cert(context) == 1;
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  X509_free(leaf_cert);
  X509_free(ca_cert);
  return ok;
}

TEST(XdsCertificatesTest, TheServerAndClientCertificatesChainToTheCaForTheirOwnUseOnly) {
  absl::StatusOr<XdsCertificates> made = MakeXdsCertificates(
      {"xds.gatehouse-system.svc", "xds.gatehouse-system.svc.cluster.local"}, absl::Hours(24));
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(Verifies(made->ca_cert, made->server_cert, X509_PURPOSE_SSL_SERVER,
                       "xds.gatehouse-system.svc"));
  EXPECT_TRUE(Verifies(made->ca_cert, made->server_cert, X509_PURPOSE_SSL_SERVER,
                       "xds.gatehouse-system.svc.cluster.local"));
  EXPECT_FALSE(Verifies(made->ca_cert, made->server_cert, X509_PURPOSE_SSL_SERVER,
                        "other.gatehouse-system.svc"));
  EXPECT_TRUE(Verifies(made->ca_cert, made->client_cert, X509_PURPOSE_SSL_CLIENT));
  // Neither leaf serves the other's purpose, and neither may sign: a stolen client key cannot
  // impersonate the control plane.
  EXPECT_FALSE(Verifies(made->ca_cert, made->client_cert, X509_PURPOSE_SSL_SERVER));
  EXPECT_FALSE(Verifies(made->ca_cert, made->server_cert, X509_PURPOSE_SSL_CLIENT));
  X509* client = ReadCert(made->client_cert);
  EXPECT_EQ(X509_check_ca(client), 0);
  X509_free(client);
  // The keys are PEM private keys, and the CA's key is not handed out.
  EXPECT_NE(made->server_key.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(made->client_key.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_EQ(made->ca_cert.find("PRIVATE KEY"), std::string::npos);
}

TEST(XdsCertificatesTest, EachCallMakesANewCa) {
  absl::StatusOr<XdsCertificates> first = MakeXdsCertificates({"xds.test"}, absl::Hours(1));
  absl::StatusOr<XdsCertificates> second = MakeXdsCertificates({"xds.test"}, absl::Hours(1));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(Verifies(first->ca_cert, second->client_cert, X509_PURPOSE_SSL_CLIENT));
}

TEST(XdsCertificatesTest, NoServerNameIsAnError) {
  EXPECT_FALSE(MakeXdsCertificates({}, absl::Hours(1)).ok());
}

}  // namespace
}  // namespace gatehouse::controlplane::pki
