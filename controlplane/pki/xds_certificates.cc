#include "controlplane/pki/xds_certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gatehouse::controlplane::pki {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

absl::Status OpenSslError(absl::string_view what) {
  unsigned long code = ERR_get_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("cannot ", what, ": ", text));
}

absl::StatusOr<Key> NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("make an ECDSA P-256 key");
  return key;
}

// Adds one X.509v3 extension written in OpenSSL's configuration syntax.
bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return false;
  bool added = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

struct Extension {
  int nid;
  std::string value;
};

// A certificate for `key` named `common_name`, signed by `issuer_key` (and `issuer`, or itself
// when null).
absl::StatusOr<Cert> NewCert(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                             EVP_PKEY* issuer_key, absl::Duration validity,
                             const std::vector<Extension>& extensions) {
  Cert cert(X509_new());
  if (cert == nullptr) return OpenSslError("make a certificate");
  BIGNUM* serial = BN_new();
  bool ok = serial != nullptr && BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  ok = ok && X509_set_version(cert.get(), 2) == 1 &&
       X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
       X509_gmtime_adj(X509_getm_notAfter(cert.get()), absl::ToInt64Seconds(validity)) != nullptr &&
       X509_set_pubkey(cert.get(), key) == 1 &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                  -1, 0) == 1 &&
       X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name) ==
           1;
  if (!ok) return OpenSslError(absl::StrCat("fill in the certificate of ", common_name));
  X509* signer = issuer != nullptr ? issuer : cert.get();
  for (const Extension& extension : extensions) {
    if (!AddExtension(cert.get(), signer, extension.nid, extension.value)) {
      return OpenSslError(absl::StrCat("add ", extension.value, " to ", common_name));
    }
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return OpenSslError(absl::StrCat("sign the certificate of ", common_name));
  }
  return cert;
}

absl::StatusOr<std::string> ToPem(X509* cert, EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  bool ok = bio != nullptr && (cert == nullptr || PEM_write_bio_X509(bio.get(), cert) == 1) &&
            (key == nullptr ||
             PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  if (!ok) return OpenSslError("write PEM");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// A leaf signed by the CA, in PEM: its certificate and its key.
absl::Status MakeLeaf(X509* ca, EVP_PKEY* ca_key, const std::string& common_name,
                      const std::string& usage, const std::string& names, absl::Duration validity,
                      std::string* cert_pem, std::string* key_pem) {
  absl::StatusOr<Key> key = NewKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<Cert> cert = NewCert(key->get(), common_name, ca, ca_key, validity,
                                      {{NID_basic_constraints, "critical,CA:FALSE"},
                                       {NID_key_usage, "critical,digitalSignature"},
                                       {NID_ext_key_usage, usage},
                                       {NID_subject_alt_name, names},
                                       {NID_subject_key_identifier, "hash"},
                                       {NID_authority_key_identifier, "keyid:always"}});
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> cert_text = ToPem(cert->get(), nullptr);
  if (!cert_text.ok()) return cert_text.status();
  absl::StatusOr<std::string> key_text = ToPem(nullptr, key->get());
  if (!key_text.ok()) return key_text.status();
  *cert_pem = *std::move(cert_text);
  *key_pem = *std::move(key_text);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<XdsCertificates> MakeXdsCertificates(const std::vector<std::string>& server_names,
                                                    absl::Duration validity) {
  if (server_names.empty()) return absl::InvalidArgumentError("no server name to certify");
  absl::StatusOr<Key> ca_key = NewKey();
  if (!ca_key.ok()) return ca_key.status();
  absl::StatusOr<Cert> ca =
      NewCert(ca_key->get(), "gatehouse config stream CA", nullptr, ca_key->get(), validity,
              {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
               {NID_key_usage, "critical,keyCertSign,cRLSign"},
               {NID_subject_key_identifier, "hash"}});
  if (!ca.ok()) return ca.status();
  XdsCertificates out;
  absl::StatusOr<std::string> ca_pem = ToPem(ca->get(), nullptr);
  if (!ca_pem.ok()) return ca_pem.status();
  out.ca_cert = *std::move(ca_pem);
  std::string dns_names = absl::StrCat("DNS:", absl::StrJoin(server_names, ",DNS:"));
  if (absl::Status server = MakeLeaf(ca->get(), ca_key->get(), server_names.front(), "serverAuth",
                                     dns_names, validity, &out.server_cert, &out.server_key);
      !server.ok()) {
    return server;
  }
  if (absl::Status client =
          MakeLeaf(ca->get(), ca_key->get(), "gatehouse-dataplane", "clientAuth",
                   "DNS:gatehouse-dataplane", validity, &out.client_cert, &out.client_key);
      !client.ok()) {
    return client;
  }
  return out;
}

}  // namespace gatehouse::controlplane::pki
