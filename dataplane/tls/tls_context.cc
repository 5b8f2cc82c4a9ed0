#include "dataplane/tls/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "dataplane/tls/tls_session.h"

namespace gatehouse::dataplane::tls {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

// ALPN: HTTP/2 when the client offers it, else HTTP/1.1; otherwise no protocol is agreed.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length,
               const unsigned char* offered, unsigned int offered_length, void*) {
  static const unsigned char kProtocols[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, kProtocols, sizeof(kProtocols), offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

SSL_CTX* NewContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  SSL_CTX_set_tlsext_servername_callback(ctx, &TlsSession::OnServerName);
  return ctx;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ServerContext>> ServerContext::Create(
    absl::string_view certificate_chain, absl::string_view private_key) {
  SSL_CTX* ctx = NewContext();
  if (ctx == nullptr) return absl::InternalError("cannot make a TLS context");
  std::shared_ptr<const ServerContext> context(new ServerContext(ctx));
  std::unique_ptr<BIO, BioFree> certificates(
      BIO_new_mem_buf(certificate_chain.data(), static_cast<int>(certificate_chain.size())));
  X509* leaf = PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    X509_free(leaf);
    ERR_clear_error();
    return absl::InvalidArgumentError("the certificate does not parse");
  }
  X509_free(leaf);
  while (X509* next = PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ctx, next) != 1) {  // takes ownership on success
      X509_free(next);
      ERR_clear_error();
      return absl::InvalidArgumentError("a certificate of the chain cannot be used");
    }
  }
  ERR_clear_error();  // the end of the chain
  std::unique_ptr<BIO, BioFree> key_reader(
      BIO_new_mem_buf(private_key.data(), static_cast<int>(private_key.size())));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_reader.get(), nullptr, nullptr, nullptr);
  bool usable = key != nullptr && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
                SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!usable) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key does not parse or is not the certificate's");
  }
  return context;
}

absl::StatusOr<std::shared_ptr<const ServerContext>> ServerContext::CreateSelfSigned(
    absl::string_view common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) return absl::InternalError("cannot make a key");
  X509* x509 = X509_new();
  X509_set_version(x509, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x509, key);
  std::string name(common_name);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x509), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x509, X509_get_subject_name(x509));
  X509_sign(x509, key, EVP_sha256());
  SSL_CTX* ctx = NewContext();
  bool usable = ctx != nullptr && SSL_CTX_use_certificate(ctx, x509) == 1 &&
                SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(x509);
  EVP_PKEY_free(key);
  if (!usable) {
    if (ctx != nullptr) SSL_CTX_free(ctx);
    ERR_clear_error();
    return absl::InternalError("cannot make the default certificate");
  }
  return std::shared_ptr<const ServerContext>(new ServerContext(ctx));
}

ServerContext::~ServerContext() { SSL_CTX_free(ctx_); }

void CertificateTable::Add(const std::string& server_name,
                           std::shared_ptr<const ServerContext> context) {
  by_name_.emplace(server_name, std::move(context));
}

const ServerContext* CertificateTable::Find(absl::string_view server_name) const {
  std::string name(server_name);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second.get();
  size_t dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  auto it = by_name_.find(absl::StrCat("*", name.substr(dot)));
  return it == by_name_.end() ? nullptr : it->second.get();
}

}  // namespace gatehouse::dataplane::tls
