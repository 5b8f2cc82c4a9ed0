#include "dataplane/tls/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

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
  static const unsigned char kProtocols[] = {2,   'h', '2', 8,   'h', 't',
                                             't', 'p', '/', '1', '.', '1'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, kProtocols, sizeof(kProtocols), offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// Where a context keeps its TicketKeys.
int TicketKeysIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The session-ticket key callback. OpenSSL 3 prefers a variant taking EVP_MAC_CTX, which
// BoringSSL lacks; this one both have.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
int OnTicketKey(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                HMAC_CTX* hmac, int encrypt) {
  auto* keys =
      static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TicketKeysIndex()));
  if (keys == nullptr) return 0;
  TicketKeys::Key key;
  if (encrypt) {
    key = keys->Current();
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    std::memcpy(name, key.name, sizeof(key.name));
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes, iv) != 1 ||
        HMAC_Init_ex(hmac, key.hmac, sizeof(key.hmac), EVP_sha256(), nullptr) != 1) {
      return -1;
    }
    return 1;
  }
  bool newest = false;
  if (!keys->Find(name, &key, &newest)) return 0;  // a retired or foreign key: full handshake
  if (HMAC_Init_ex(hmac, key.hmac, sizeof(key.hmac), EVP_sha256(), nullptr) != 1 ||
      EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes, iv) != 1) {
    return -1;
  }
  return newest ? 1 : 2;  // 2: resume, and issue a ticket under the newest key
}
#pragma GCC diagnostic pop

SSL_CTX* NewContext(const ServerSettings& settings) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, settings.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  SSL_CTX_set_tlsext_servername_callback(ctx, &TlsSession::OnServerName);
#ifndef OPENSSL_IS_BORINGSSL
  SSL_CTX_set_client_hello_cb(ctx, &TlsSession::OnClientHello, nullptr);
#endif
  // Resumption is by tickets alone: no per-context session cache to grow.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (settings.ticket_keys != nullptr) {
    SSL_CTX_set_ex_data(ctx, TicketKeysIndex(), settings.ticket_keys);
    // One TLS 1.3 ticket per handshake (OpenSSL sends two): a client resumes with one, and each
    // costs an encryption.
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_timeout(ctx,
                        static_cast<long>(absl::ToInt64Seconds(settings.ticket_keys->lifetime())));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    SSL_CTX_set_tlsext_ticket_key_cb(ctx, &OnTicketKey);
#pragma GCC diagnostic pop
  } else {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);  // TLS 1.3 would otherwise send stateful ones
  }
  return ctx;
}

}  // namespace

TicketKeys::Key TicketKeys::Current() {
  absl::Time now = absl::Now();
  absl::MutexLock lock(&mutex_);
  if (keys_.empty() || now - rotated_ >= rotation_) {
    Key key;
    RAND_bytes(key.name, sizeof(key.name));
    RAND_bytes(key.aes, sizeof(key.aes));
    RAND_bytes(key.hmac, sizeof(key.hmac));
    keys_.insert(keys_.begin(), key);
    if (keys_.size() > kKeptKeys) keys_.pop_back();
    rotated_ = now;
  }
  return keys_.front();
}

bool TicketKeys::Find(const unsigned char name[16], Key* key, bool* newest) {
  absl::Time now = absl::Now();
  absl::MutexLock lock(&mutex_);
  for (size_t i = 0; i < keys_.size(); ++i) {
    // Key i would have been retired kKeptKeys - i periods after the newest was made, had keys
    // rotated on time (they rotate only when a ticket is issued).
    if (std::memcmp(keys_[i].name, name, sizeof(keys_[i].name)) != 0) continue;
    if (now - rotated_ >= rotation_ * static_cast<double>(kKeptKeys - i)) return false;
    *key = keys_[i];
    *newest = i == 0 && now - rotated_ < rotation_;
    return true;
  }
  return false;
}

const ServerSettings& ServerSettings::Defaults() {
  static const ServerSettings* const defaults = new ServerSettings();
  return *defaults;
}

absl::Status ServerSettings::Validate() const {
  SSL_CTX* ctx = NewContext(*this);
  if (ctx == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no TLS 1.2 cipher suite known in \"", ciphers, "\""));
  }
  SSL_CTX_free(ctx);
  return absl::OkStatus();
}

absl::Status ParseMinVersion(absl::string_view text, bool* tls13_only) {
  if (text == "1.2" || text == "1.3") {
    *tls13_only = text == "1.3";
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not 1.2 or 1.3"));
}

absl::StatusOr<std::shared_ptr<const ServerContext>> ServerContext::Create(
    absl::string_view certificate_chain, absl::string_view private_key,
    const ServerSettings& settings) {
  SSL_CTX* ctx = NewContext(settings);
  if (ctx == nullptr) return absl::InternalError("cannot make a TLS context");
  std::shared_ptr<const ServerContext> context(new ServerContext(ctx));
  std::unique_ptr<BIO, BioFree> certificates(
      BIO_new_mem_buf(certificate_chain.data(), static_cast<int>(certificate_chain.size())));
  X509* leaf = PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the certificate does not parse");
  }
  if (SSL_CTX_use_certificate(ctx, leaf) != 1) {
    // The library's security level: an RSA key under 2048 bits, an MD5 or SHA-1 signature.
    const char* reason = ERR_reason_error_string(ERR_peek_last_error());
    X509_free(leaf);
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "the certificate is below the TLS security level: ", reason != nullptr ? reason : "?"));
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
    absl::string_view common_name, const ServerSettings& settings) {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* keygen = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
  bool generated = keygen != nullptr && EVP_PKEY_keygen_init(keygen) == 1 &&
                   EVP_PKEY_CTX_set_ec_paramgen_curve_nid(keygen, NID_X9_62_prime256v1) == 1 &&
                   EVP_PKEY_keygen(keygen, &key) == 1;
  EVP_PKEY_CTX_free(keygen);
  if (!generated) {
    ERR_clear_error();
    return absl::InternalError("cannot make a key");
  }
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
  SSL_CTX* ctx = NewContext(settings);
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

absl::StatusOr<std::shared_ptr<const ClientContext>> ClientContext::Create(
    bool verify, absl::string_view trusted_ca, bool http2) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError("cannot make a TLS context");
  std::shared_ptr<const ClientContext> context(new ClientContext(ctx, verify));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  static const unsigned char kH2[] = {2, 'h', '2'};
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (http2) {
    SSL_CTX_set_alpn_protos(ctx, kH2, sizeof(kH2));
  } else {
    SSL_CTX_set_alpn_protos(ctx, kHttp11, sizeof(kHttp11));
  }
  if (!verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return context;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (trusted_ca.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      ERR_clear_error();
      return absl::InternalError("the system's CA certificates cannot be loaded");
    }
    return context;
  }
  std::unique_ptr<BIO, BioFree> reader(
      BIO_new_mem_buf(trusted_ca.data(), static_cast<int>(trusted_ca.size())));
  int added = 0;
  while (X509* ca = PEM_read_bio_X509(reader.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) == 1) ++added;
    X509_free(ca);
  }
  ERR_clear_error();
  if (added == 0) return absl::InvalidArgumentError("the trusted CA holds no PEM certificate");
  return context;
}

ClientContext::~ClientContext() { SSL_CTX_free(ctx_); }

namespace {

// The entry for an SNI name in a table keyed by server name: exact, else "*.<parent>".
template <typename Map>
const typename Map::mapped_type::element_type* FindByServerName(const Map& map,
                                                                absl::string_view server_name) {
  std::string name(server_name);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto it = map.find(name); it != map.end()) return it->second.get();
  size_t dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  auto it = map.find(absl::StrCat("*", name.substr(dot)));
  return it == map.end() ? nullptr : it->second.get();
}

}  // namespace

ClientValidation::ClientValidation(std::string name, int verify_depth)
    : name_(std::move(name)), verify_depth_(verify_depth) {}

ClientValidation::~ClientValidation() {
  X509_STORE_free(store_);
  sk_X509_NAME_pop_free(ca_names_, X509_NAME_free);
}

absl::StatusOr<std::shared_ptr<const ClientValidation>> ClientValidation::Create(
    std::string name, absl::string_view trusted_ca, absl::string_view crl, int verify_depth) {
  if (verify_depth < 1) return absl::InvalidArgumentError("the verify depth must be at least 1");
  std::shared_ptr<ClientValidation> validation(new ClientValidation(std::move(name), verify_depth));
  validation->store_ = X509_STORE_new();
  validation->ca_names_ = sk_X509_NAME_new_null();
  if (validation->store_ == nullptr || validation->ca_names_ == nullptr) {
    return absl::InternalError("cannot make a certificate store");
  }
  std::unique_ptr<BIO, BioFree> reader(
      BIO_new_mem_buf(trusted_ca.data(), static_cast<int>(trusted_ca.size())));
  int added = 0;
  while (X509* ca = PEM_read_bio_X509(reader.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(validation->store_, ca) == 1) {
      ++added;
      X509_NAME* subject = X509_NAME_dup(X509_get_subject_name(ca));
      if (subject != nullptr && sk_X509_NAME_push(validation->ca_names_, subject) == 0) {
        X509_NAME_free(subject);
      }
    }
    X509_free(ca);
  }
  ERR_clear_error();
  if (added == 0) return absl::InvalidArgumentError("the CA bundle holds no PEM certificate");
  if (!crl.empty()) {
    std::unique_ptr<BIO, BioFree> lists(BIO_new_mem_buf(crl.data(), static_cast<int>(crl.size())));
    int read = 0;
    while (X509_CRL* list = PEM_read_bio_X509_CRL(lists.get(), nullptr, nullptr, nullptr)) {
      int stored = X509_STORE_add_crl(validation->store_, list);
      X509_CRL_free(list);
      if (stored != 1) {
        ERR_clear_error();
        return absl::InvalidArgumentError("a revocation list cannot be added to the store");
      }
      ++read;
    }
    ERR_clear_error();
    if (read == 0) return absl::InvalidArgumentError("the CRL holds no PEM revocation list");
    X509_STORE_set_flags(validation->store_, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  return std::shared_ptr<const ClientValidation>(std::move(validation));
}

void CertificateTable::Add(const std::string& server_name,
                           std::shared_ptr<const ServerContext> context) {
  by_name_.emplace(server_name, std::move(context));
}

const ServerContext* CertificateTable::Find(absl::string_view server_name) const {
  return FindByServerName(by_name_, server_name);
}

void CertificateTable::AddValidation(const std::string& server_name,
                                     std::shared_ptr<const ClientValidation> validation) {
  validations_.emplace(server_name, std::move(validation));
}

const ClientValidation* CertificateTable::FindValidation(absl::string_view server_name) const {
  return FindByServerName(validations_, server_name);
}

}  // namespace gatehouse::dataplane::tls
