// Server-side TLS contexts: one per certificate the config carries, picked by SNI (an exact name
// first, then a one-label wildcard), and a default one for clients that name no known host.
//
// The TLS layer uses only what OpenSSL and BoringSSL share. Nothing outside dataplane/tls sees
// OpenSSL.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace gatehouse::dataplane::tls {

// An SSL_CTX, freed with its owner.
class ServerContext {
 public:
  // A context serving `certificate_chain` (PEM, leaf first) with `private_key` (PEM), TLS 1.2
  // and 1.3, ALPN h2 and http/1.1. The error names what does not parse or match; never the key.
  static absl::StatusOr<std::shared_ptr<const ServerContext>> Create(
      absl::string_view certificate_chain, absl::string_view private_key);
  // A context with a self-signed certificate made now, for clients naming no known host.
  static absl::StatusOr<std::shared_ptr<const ServerContext>> CreateSelfSigned(
      absl::string_view common_name);
  ~ServerContext();

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit ServerContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// The certificates of one config version, by the host names they serve.
class CertificateTable {
 public:
  void Add(const std::string& server_name, std::shared_ptr<const ServerContext> context);
  // The context for an SNI name: exact, else "*.<parent>", else null.
  const ServerContext* Find(absl::string_view server_name) const;
  // For clients naming no host above, when the config has one; null otherwise.
  void SetDefault(std::shared_ptr<const ServerContext> context) { default_ = std::move(context); }
  const ServerContext* default_context() const { return default_.get(); }

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const ServerContext>> by_name_;
  std::shared_ptr<const ServerContext> default_;
};

}  // namespace gatehouse::dataplane::tls
