// TLS contexts. Server side: one per certificate the config carries, picked by SNI (an exact
// name first, then a one-label wildcard), a default one for clients that name no known host,
// all set up alike (ServerSettings) and sharing the process's session-ticket keys. Client side:
// one per cluster speaking TLS to its endpoints.
//
// The TLS layer uses only what OpenSSL and BoringSSL share. Nothing outside dataplane/tls sees
// OpenSSL.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_store_st X509_STORE;
struct stack_st_X509_NAME;

namespace gatehouse::dataplane::tls {

// The keys session tickets are encrypted with, made at random in the process and rotated: new
// tickets use the newest key, and a ticket is accepted while its key would be one of the last
// three had keys rotated on time; clients are told tickets last two periods (the session
// timeout), and a ticket under an older key is renewed. A client resumes only on the replica
// that issued its ticket.
class TicketKeys {
 public:
  static constexpr size_t kKeptKeys = 3;
  struct Key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
  };

  explicit TicketKeys(absl::Duration rotation) : rotation_(rotation) {}

  // How long a ticket is surely good for: the lifetime hint clients get.
  absl::Duration lifetime() const { return rotation_ * 2; }

  // The key new tickets are made with; rotates first when it is due.
  Key Current();
  // The key of the ticket named `name` while it is kept; `newest` says whether it is the
  // current one (else the ticket is renewed under it).
  bool Find(const unsigned char name[16], Key* key, bool* newest);

 private:
  const absl::Duration rotation_;
  absl::Mutex mutex_;
  std::vector<Key> keys_ ABSL_GUARDED_BY(mutex_);  // newest first
  absl::Time rotated_ ABSL_GUARDED_BY(mutex_);
};

// How every server context of the process is set up: --tls-min-version, --tls-ciphers and the
// ticket keys.
struct ServerSettings {
  // Mozilla's "intermediate" TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's suites are
  // the library's (all of them are modern; BoringSSL does not let them be chosen).
  static constexpr absl::string_view kDefaultCiphers =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

  bool tls13_only = false;  // --tls-min-version=1.3
  std::string ciphers = std::string(kDefaultCiphers);
  TicketKeys* ticket_keys = nullptr;  // null: no session tickets

  // The defaults, tickets off: for tools and tests that build configs.
  static const ServerSettings& Defaults();
  // Whether the settings make a context: a cipher list naming no known suite does not.
  absl::Status Validate() const;
};

// "1.2" or "1.3" into ServerSettings::tls13_only.
absl::Status ParseMinVersion(absl::string_view text, bool* tls13_only);

// An SSL_CTX, freed with its owner.
class ServerContext {
 public:
  // A context serving `certificate_chain` (PEM, leaf first) with `private_key` (PEM), TLS 1.2
  // (unless settings say 1.3) and 1.3, ALPN h2 and http/1.1. The error names what does not
  // parse or match; never the key.
  static absl::StatusOr<std::shared_ptr<const ServerContext>> Create(
      absl::string_view certificate_chain, absl::string_view private_key,
      const ServerSettings& settings);
  // A context with a self-signed certificate made now, for clients naming no known host.
  static absl::StatusOr<std::shared_ptr<const ServerContext>> CreateSelfSigned(
      absl::string_view common_name, const ServerSettings& settings);
  ~ServerContext();

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit ServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// A client context, for TLS from the data plane to a cluster's endpoints.
class ClientContext {
 public:
  // With `verify`, servers must present a certificate chaining to `trusted_ca` (PEM, one or
  // more certificates; empty: the system's CAs); the name is checked per session. ALPN offers
  // h2 when `http2`, else http/1.1.
  static absl::StatusOr<std::shared_ptr<const ClientContext>> Create(bool verify,
                                                                     absl::string_view trusted_ca,
                                                                     bool http2);
  ~ClientContext();

  SSL_CTX* get() const { return ctx_; }
  bool verify() const { return verify_; }

 private:
  ClientContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  SSL_CTX* ctx_;
  bool verify_;
};

// The client certificates a host asks for (ingress-nginx's auth-tls-secret): the CAs that
// issue them and how many certificates may stand between a client's and a CA's. A handshake
// naming one of its hosts asks for a certificate and verifies it, but never fails for it: what
// a request may do without a good one is its route's to say (filters::ClientCertificateFilter).
class ClientValidation {
 public:
  // `name` tells validations apart (a connection's is compared with a route's). `trusted_ca`:
  // PEM, one or more certificates. `verify_depth`: the library's verify depth, as nginx's
  // ssl_verify_depth: OpenSSL 3 allows that many intermediate CAs between a client's
  // certificate and a CA of the bundle (BoringSSL one fewer). `crl`: PEM revocation lists,
  // or empty; with them, every certificate of a chain is checked against its issuer's list
  // (nginx's ssl_crl: X509_V_FLAG_CRL_CHECK and _CHECK_ALL).
  static absl::StatusOr<std::shared_ptr<const ClientValidation>> Create(
      std::string name, absl::string_view trusted_ca, absl::string_view crl, int verify_depth);
  ~ClientValidation();

  const std::string& name() const { return name_; }
  X509_STORE* store() const { return store_; }
  // The CAs' subject names, sent to clients so that they can choose a certificate.
  stack_st_X509_NAME* ca_names() const { return ca_names_; }
  int verify_depth() const { return verify_depth_; }

 private:
  ClientValidation(std::string name, int verify_depth);
  std::string name_;
  int verify_depth_;
  X509_STORE* store_ = nullptr;
  stack_st_X509_NAME* ca_names_ = nullptr;
};

// The certificates of one config version, by the host names they serve.
class CertificateTable {
 public:
  void Add(const std::string& server_name, std::shared_ptr<const ServerContext> context);
  // The context for an SNI name: exact, else "*.<parent>", else null.
  const ServerContext* Find(absl::string_view server_name) const;
  void AddValidation(const std::string& server_name,
                     std::shared_ptr<const ClientValidation> validation);
  // The client validation for an SNI name, found as Find finds contexts; null when none. A
  // name added with a null validation has none, whatever a wildcard of its parent has.
  const ClientValidation* FindValidation(absl::string_view server_name) const;
  // For clients naming no host above, when the config has one; null otherwise.
  void SetDefault(std::shared_ptr<const ServerContext> context) { default_ = std::move(context); }
  const ServerContext* default_context() const { return default_.get(); }

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const ServerContext>> by_name_;
  absl::flat_hash_map<std::string, std::shared_ptr<const ClientValidation>> validations_;
  std::shared_ptr<const ServerContext> default_;
};

}  // namespace gatehouse::dataplane::tls
