// One TLS connection's state, over memory buffers: the connection hands it the bytes it read and
// sends the bytes it produces, so TLS needs nothing from the event loop.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dataplane/tls/peer_certificate.h"
#include "dataplane/tls/tls_context.h"

typedef struct ssl_st SSL;

namespace gatehouse::dataplane::tls {

class TlsSession {
 public:
  // A server session starting with `default_context`; during the handshake the client's SNI
  // name picks a context from `certificates` (may be null), which must outlive the handshake.
  static std::unique_ptr<TlsSession> Server(const ServerContext& default_context,
                                            const CertificateTable* certificates);
  // A client session to a server: `server_name` is sent as SNI (unless empty) and, when the
  // context verifies, is the name the server's certificate must carry.
  static std::unique_ptr<TlsSession> Client(const ClientContext& context,
                                            const std::string& server_name);
  ~TlsSession();

  // Takes `ciphertext` from the peer and appends what it decrypts to `plaintext` (the
  // handshake first). An error means the connection must close.
  absl::Status Receive(absl::string_view ciphertext, std::string* plaintext);
  // Encrypts `plaintext` for the peer (after the handshake; before, it waits inside).
  absl::Status Send(absl::string_view plaintext);
  // Starts a clean close (close_notify).
  void Shutdown();
  // The bytes to send to the peer now.
  std::string TakeOutgoing();

  bool handshake_done() const;
  // The protocol agreed through ALPN ("h2", "http/1.1"), or empty.
  absl::string_view alpn() const;

  // Server sessions whose SNI name has a ClientValidation: what the client's certificate proved,
  // once the handshake is done; null otherwise.
  const std::shared_ptr<const PeerCertificate>& peer_certificate() const {
    return peer_certificate_;
  }

  // OpenSSL's SNI callback, which every ServerContext installs: switches the session to the
  // context of the name the client sent, when the table has one, and asks for a client
  // certificate when the name has a ClientValidation.
  static int OnServerName(SSL* ssl, int* alert, void* arg);
#ifndef OPENSSL_IS_BORINGSSL
  // OpenSSL's ClientHello callback, which every ServerContext installs: before any session is
  // looked up, marks a handshake whose SNI name has a ClientValidation as that validation's.
  static int OnClientHello(SSL* ssl, int* alert, void* arg);
#endif

 private:
  TlsSession(SSL* ssl, const CertificateTable* certificates);
  // At the end of a handshake that asked for a client certificate: what it proved.
  void RecordPeerCertificate();

  SSL* ssl_;
  const CertificateTable* certificates_;  // during the handshake only
  std::string pending_;                   // plaintext sent before the handshake completed
  std::string validation_;                // the ClientValidation the handshake applied, by name
  std::shared_ptr<const PeerCertificate> peer_certificate_;
};

}  // namespace gatehouse::dataplane::tls
