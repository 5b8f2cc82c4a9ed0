#include "dataplane/tls/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "dataplane/tls/client_hello.h"

namespace gatehouse::dataplane::tls {
namespace {

std::string LastError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "the TLS connection failed";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// The handshake goes on whatever the client's certificate is; the result is kept for requests.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

std::string NameText(X509_NAME* name) {
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return "";
  X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long length = BIO_get_mem_data(out, &data);
  std::string text(data, length > 0 ? static_cast<size_t>(length) : 0);
  BIO_free(out);
  return text;
}

std::string PemText(X509* certificate) {
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return "";
  PEM_write_bio_X509(out, certificate);
  char* data = nullptr;
  long length = BIO_get_mem_data(out, &data);
  std::string text(data, length > 0 ? static_cast<size_t>(length) : 0);
  BIO_free(out);
  return text;
}

// Verification errors that say only that the certificate's issuer is not a CA of the bundle:
// what ingress-nginx's optional_no_ca lets through (nginx's ngx_ssl_verify_error_optional).
bool OnlyIssuerUnknown(long result) {
  return result == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
         result == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
         result == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         result == X509_V_ERR_CERT_UNTRUSTED ||
         result == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

// The session id context of the sessions a validation's handshakes make: sessions of other
// names, or of this name before it asked for certificates, never match it.
void SetSessionIdContext(SSL* ssl, const ClientValidation& validation) {
  unsigned char id_context[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(validation.name().data()), validation.name().size(),
         id_context);
  SSL_set_session_id_context(ssl, id_context, sizeof(id_context));
}

}  // namespace

std::unique_ptr<TlsSession> TlsSession::Server(const ServerContext& default_context,
                                               const CertificateTable* certificates) {
  SSL* ssl = SSL_new(default_context.get());
  if (ssl == nullptr) return nullptr;
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_accept_state(ssl);
  std::unique_ptr<TlsSession> session(new TlsSession(ssl, certificates));
  SSL_set_app_data(ssl, session.get());
  return session;
}

std::unique_ptr<TlsSession> TlsSession::Client(const ClientContext& context,
                                               const std::string& server_name) {
  // Verifying without a name would accept any certificate of the CA: refused.
  if (context.verify() && server_name.empty()) return nullptr;
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) return nullptr;
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(ssl);
  if (!server_name.empty()) SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (context.verify() && X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), server_name.data(),
                                                      server_name.size()) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  return std::unique_ptr<TlsSession>(new TlsSession(ssl, nullptr));
}

TlsSession::TlsSession(SSL* ssl, const CertificateTable* certificates)
    : ssl_(ssl), certificates_(certificates) {}

TlsSession::~TlsSession() { SSL_free(ssl_); }

int TlsSession::OnServerName(SSL* ssl, int* alert, void*) {
  auto* session = static_cast<TlsSession*>(SSL_get_app_data(ssl));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (session == nullptr || session->certificates_ == nullptr) return SSL_TLSEXT_ERR_OK;
  const ServerContext* context = name != nullptr ? session->certificates_->Find(name) : nullptr;
  if (context == nullptr) context = session->certificates_->default_context();
  // Without either, the session keeps the data plane's own default certificate.
  if (context != nullptr) SSL_set_SSL_CTX(ssl, context->get());
  const ClientValidation* validation =
      name != nullptr ? session->certificates_->FindValidation(name) : nullptr;
  if (validation == nullptr) return SSL_TLSEXT_ERR_OK;
  // A session resumed here was made without this name's certificate check: resuming it would
  // skip the check (the class of nginx's CVE-2025-23419). OnClientHello keeps this from
  // happening; should a library resume anyway, the handshake is refused.
  if (SSL_session_reused(ssl)) {
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  session->validation_ = validation->name();
  // Where the library decides on resumption after this callback (BoringSSL), the session id
  // context keeps other sessions from resuming here; OpenSSL's came from OnClientHello.
  SetSessionIdContext(ssl, *validation);
  SSL_set_verify(ssl, SSL_VERIFY_PEER, AcceptAnyCertificate);
  SSL_set_verify_depth(ssl, validation->verify_depth());
  SSL_set1_verify_cert_store(ssl, validation->store());
  SSL_set_client_CA_list(ssl, SSL_dup_CA_list(validation->ca_names()));
  // Nor is a session made here resumed anywhere: no tickets for it.
  SSL_set_options(ssl, SSL_OP_NO_TICKET);
#ifndef OPENSSL_IS_BORINGSSL
  SSL_set_num_tickets(ssl, 0);  // OpenSSL's TLS 1.3 would send stateful ones
#endif
  return SSL_TLSEXT_ERR_OK;
}

#ifndef OPENSSL_IS_BORINGSSL
int TlsSession::OnClientHello(SSL* ssl, int*, void*) {
  // OpenSSL looks for a session to resume before the SNI callback: the session id context of
  // the name's validation is set now, from the ClientHello, so that a session made without the
  // check does not match and the handshake is a full one that asks.
  auto* session = static_cast<TlsSession*>(SSL_get_app_data(ssl));
  if (session == nullptr || session->certificates_ == nullptr) return SSL_CLIENT_HELLO_SUCCESS;
  const unsigned char* data = nullptr;
  size_t length = 0;
  std::string name;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &length) != 1 ||
      !ReadServerNameExtension(absl::string_view(reinterpret_cast<const char*>(data), length),
                               &name) ||
      name.empty()) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  if (const ClientValidation* validation = session->certificates_->FindValidation(name)) {
    SetSessionIdContext(ssl, *validation);
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}
#endif

void TlsSession::RecordPeerCertificate() {
  auto peer = std::make_shared<PeerCertificate>();
  peer->validation = validation_;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  X509* certificate = SSL_get_peer_certificate(ssl_);  // BoringSSL has no get1 spelling
#pragma GCC diagnostic pop
  if (certificate != nullptr) {
    long result = SSL_get_verify_result(ssl_);
    peer->verdict = result == X509_V_OK         ? PeerCertificate::Verdict::kVerified
                    : OnlyIssuerUnknown(result) ? PeerCertificate::Verdict::kUntrustedIssuer
                                                : PeerCertificate::Verdict::kFailed;
    if (result != X509_V_OK) peer->error = X509_verify_cert_error_string(result);
    peer->subject = NameText(X509_get_subject_name(certificate));
    peer->issuer = NameText(X509_get_issuer_name(certificate));
    peer->pem = PemText(certificate);
    X509_free(certificate);
  }
  peer_certificate_ = std::move(peer);
}

absl::Status TlsSession::Receive(absl::string_view ciphertext, std::string* plaintext) {
  if (!ciphertext.empty()) {
    BIO_write(SSL_get_rbio(ssl_), ciphertext.data(), static_cast<int>(ciphertext.size()));
  }
  if (!SSL_is_init_finished(ssl_)) {
    int done = SSL_do_handshake(ssl_);
    if (done != 1) {
      int error = SSL_get_error(ssl_, done);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat("TLS handshake failed: ", LastError()));
    }
    if (!validation_.empty()) RecordPeerCertificate();
    certificates_ = nullptr;  // its owner may go once the handshake is done
    if (!pending_.empty()) {
      std::string waiting = std::move(pending_);
      pending_.clear();
      if (absl::Status sent = Send(waiting); !sent.ok()) return sent;
    }
  }
  char buffer[16384];
  while (true) {
    int read = SSL_read(ssl_, buffer, sizeof(buffer));
    if (read > 0) {
      plaintext->append(buffer, static_cast<size_t>(read));
      continue;
    }
    int error = SSL_get_error(ssl_, read);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
    if (error == SSL_ERROR_ZERO_RETURN) return absl::CancelledError("the peer closed TLS");
    return absl::UnavailableError(absl::StrCat("TLS read failed: ", LastError()));
  }
}

absl::Status TlsSession::Send(absl::string_view plaintext) {
  if (!SSL_is_init_finished(ssl_)) {
    pending_.append(plaintext.data(), plaintext.size());
    return absl::OkStatus();
  }
  while (!plaintext.empty()) {
    int written = SSL_write(ssl_, plaintext.data(), static_cast<int>(plaintext.size()));
    if (written <= 0) {
      return absl::UnavailableError(absl::StrCat("TLS write failed: ", LastError()));
    }
    plaintext.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

void TlsSession::Shutdown() {
  if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
}

std::string TlsSession::TakeOutgoing() {
  BIO* out = SSL_get_wbio(ssl_);
  std::string bytes;
  size_t pending = BIO_ctrl_pending(out);
  if (pending == 0) return bytes;
  bytes.resize(pending);
  int read = BIO_read(out, bytes.data(), static_cast<int>(pending));
  bytes.resize(read > 0 ? static_cast<size_t>(read) : 0);
  return bytes;
}

absl::string_view TlsSession::alpn() const {
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &protocol, &length);
  return absl::string_view(reinterpret_cast<const char*>(protocol), length);
}

bool TlsSession::handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }

}  // namespace gatehouse::dataplane::tls
