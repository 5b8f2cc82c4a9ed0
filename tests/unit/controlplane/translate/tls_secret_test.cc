#include "controlplane/translate/tls_secret.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/controlplane/translate/test_certificates.h"

namespace gatehouse::controlplane::translate {
namespace {

using ::testing::HasSubstr;
using testing_certificates::Certificate;
using testing_certificates::NewKey;
using testing_certificates::Pkcs8;
using testing_certificates::Traditional;

class CheckKeyPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ec_ = NewKey(false);
    rsa_ = NewKey(true);
    other_ = NewKey(false);
  }
  void TearDown() override {
    EVP_PKEY_free(ec_);
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(other_);
  }
  EVP_PKEY* ec_ = nullptr;
  EVP_PKEY* rsa_ = nullptr;
  EVP_PKEY* other_ = nullptr;
};

TEST_F(CheckKeyPairTest, RsaAndEcdsaInEveryKeyForm) {
  std::string rsa_cert = Certificate(rsa_, "rsa.example");
  EXPECT_TRUE(CheckKeyPair(rsa_cert, Pkcs8(rsa_)).ok());
  ASSERT_THAT(Traditional(rsa_), HasSubstr("BEGIN RSA PRIVATE KEY"));  // PKCS#1
  EXPECT_TRUE(CheckKeyPair(rsa_cert, Traditional(rsa_)).ok());
  std::string ec_cert = Certificate(ec_, "ec.example");
  EXPECT_TRUE(CheckKeyPair(ec_cert, Pkcs8(ec_)).ok());
  EXPECT_TRUE(CheckKeyPair(ec_cert, Traditional(ec_)).ok());
  // A chain: the leaf, then an intermediate.
  EXPECT_TRUE(CheckKeyPair(ec_cert + Certificate(other_, "ca.example"), Pkcs8(ec_)).ok());
}

// What a data plane's TLS library would refuse is refused here, for that Secret alone: an
// RSA-1024 certificate once passed these checks and then failed SSL_CTX_use_certificate on every
// data plane, holding back every tenant's certificates.
TEST_F(CheckKeyPairTest, WhatTheDataPlanesTlsLibraryRefusesIsRefusedFirst) {
  EVP_PKEY* weak = EVP_RSA_gen(1024);
  ASSERT_NE(weak, nullptr);
  absl::Status status = CheckKeyPair(Certificate(weak, "weak.example"), Pkcs8(weak));
  EVP_PKEY_free(weak);
  EXPECT_EQ(status.message(),
            "a data plane would refuse it: the certificate is below the TLS security level: ee "
            "key too small");
}

TEST_F(CheckKeyPairTest, EachProblemIsNamedAndTheKeyNeverQuoted) {
  std::string cert = Certificate(ec_, "ec.example");
  std::string key = Pkcs8(ec_);
  EXPECT_THAT(std::string(CheckKeyPair("not a certificate", key).message()),
              HasSubstr("tls.crt holds no PEM certificate"));
  EXPECT_THAT(std::string(CheckKeyPair(cert, "not a key").message()),
              HasSubstr("tls.key holds no PEM private key"));
  EXPECT_THAT(std::string(CheckKeyPair(cert, Pkcs8(other_)).message()),
              HasSubstr("tls.key is not the key of the certificate in tls.crt"));
  std::string broken_chain =
      cert + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  absl::Status status = CheckKeyPair(broken_chain, key);
  EXPECT_THAT(std::string(status.message()), HasSubstr("a certificate after the first"));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("PRIVATE")));
}

TEST_F(CheckKeyPairTest, SecretsMustBeTlsSecretsWithBothFiles) {
  objects::kube::Secret secret;
  secret.set_type("Opaque");
  EXPECT_THAT(std::string(CheckTlsSecret(secret).message()), HasSubstr("kubernetes.io/tls"));
  secret.set_type("kubernetes.io/tls");
  (*secret.mutable_data())["tls.crt"] = Certificate(ec_, "ec.example");
  EXPECT_THAT(std::string(CheckTlsSecret(secret).message()), HasSubstr("lacks tls.crt or tls.key"));
  (*secret.mutable_data())["tls.key"] = Pkcs8(ec_);
  EXPECT_TRUE(CheckTlsSecret(secret).ok());
}

}  // namespace
}  // namespace gatehouse::controlplane::translate
