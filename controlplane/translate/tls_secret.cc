#include "controlplane/translate/tls_secret.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <time.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "dataplane/tls/tls_context.h"

namespace gatehouse::controlplane::translate {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> Reader(absl::string_view pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

absl::Status CheckKeyPair(absl::string_view certificate_chain, absl::string_view private_key) {
  auto certificates = Reader(certificate_chain);
  std::unique_ptr<X509, X509Free> leaf(
      PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("tls.crt holds no PEM certificate");
  }
  // Whatever follows the leaf must be certificates too.
  while (true) {
    std::unique_ptr<X509, X509Free> next(
        PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr));
    if (next != nullptr) continue;
    unsigned long error = ERR_peek_last_error();
    ERR_clear_error();
    if (ERR_GET_REASON(error) == PEM_R_NO_START_LINE) break;  // the end of the chain
    return absl::InvalidArgumentError("tls.crt: a certificate after the first does not parse");
  }
  auto key_reader = Reader(private_key);
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(key_reader.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("tls.key holds no PEM private key");
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("tls.key is not the key of the certificate in tls.crt");
  }
  // Then exactly what a data plane does with it, with its TLS settings: what it would refuse
  // (an RSA key under 2048 bits, a weak signature) is refused here, for this Secret alone.
  absl::StatusOr<std::shared_ptr<const dataplane::tls::ServerContext>> loaded =
      dataplane::tls::ServerContext::Create(certificate_chain, private_key,
                                            dataplane::tls::ServerSettings::Defaults());
  if (!loaded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a data plane would refuse it: ", loaded.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> CertificateNotAfter(absl::string_view certificate_chain) {
  auto certificates = Reader(certificate_chain);
  std::unique_ptr<X509, X509Free> leaf(
      PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr));
  struct tm when = {};
  if (leaf == nullptr || ASN1_TIME_to_tm(X509_get0_notAfter(leaf.get()), &when) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("tls.crt has no readable notAfter");
  }
  return absl::FromTimeT(timegm(&when));
}

absl::Status CheckTlsSecret(const objects::kube::Secret& secret) {
  if (secret.type() != "kubernetes.io/tls") {
    return absl::InvalidArgumentError("is not of type kubernetes.io/tls");
  }
  auto crt = secret.data().find("tls.crt");
  auto key = secret.data().find("tls.key");
  if (crt == secret.data().end() || key == secret.data().end()) {
    return absl::InvalidArgumentError("lacks tls.crt or tls.key");
  }
  return CheckKeyPair(crt->second, key->second);
}

}  // namespace gatehouse::controlplane::translate
