// An in-memory TLS client against a TlsSession, for the TLS layer's tests (built against
// OpenSSL 3 and against BoringSSL, so it uses only the API both share).
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_session.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::tls {

inline std::string TestdataPath(const std::string& name) {
  return std::string(GATEHOUSE_TLS_TESTDATA) + "/" + name;
}

inline std::string Read(const std::string& name) {
  std::ifstream in(TestdataPath(name));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::shared_ptr<const ServerContext> MustCreate(
    const std::string& crt, const std::string& key,
    const ServerSettings& settings = ServerSettings::Defaults()) {
  auto context = ServerContext::Create(Read(crt), Read(key), settings);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *context : nullptr;
}

struct ClientOptions {
  std::string server_name;         // empty: no SNI
  std::string alpn;                // wire format; empty: none offered
  int max_version = 0;             // 0: the library's newest
  SSL_SESSION* session = nullptr;  // to resume
  std::string certificate;         // testdata files: a client certificate (chain) and its key
  std::string key;

  ClientOptions& Name(std::string name) {
    server_name = std::move(name);
    return *this;
  }
  ClientOptions& Alpn(std::string protocols) {
    alpn = std::move(protocols);
    return *this;
  }
  ClientOptions& MaxVersion(int version) {
    max_version = version;
    return *this;
  }
  ClientOptions& Certificate(std::string chain_file, std::string key_file) {
    certificate = std::move(chain_file);
    key = std::move(key_file);
    return *this;
  }
  ClientOptions& Resume(SSL_SESSION* resumed) {
    session = resumed;
    return *this;
  }
};

// One handshake between an in-memory client and a TlsSession, bytes pumped by hand.
class Handshake {
 public:
  Handshake(const ServerContext& server, const CertificateTable* table,
            const ClientOptions& options) {
    client_ctx_ = SSL_CTX_new(TLS_method());
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_NONE, nullptr);
    if (options.max_version != 0) SSL_CTX_set_max_proto_version(client_ctx_, options.max_version);
    if (!options.certificate.empty()) {
      EXPECT_EQ(SSL_CTX_use_certificate_chain_file(client_ctx_,
                                                   TestdataPath(options.certificate).c_str()),
                1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey_file(client_ctx_, TestdataPath(options.key).c_str(),
                                            SSL_FILETYPE_PEM),
                1);
    }
    // Sessions are taken as the server issues them: in TLS 1.3, BoringSSL's SSL_get1_session
    // is not the resumable one.
    SSL_CTX_set_session_cache_mode(client_ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(client_ctx_, [](SSL* ssl, SSL_SESSION* session) {
      auto* self = static_cast<Handshake*>(SSL_get_app_data(ssl));
      if (self->session_ != nullptr) SSL_SESSION_free(self->session_);
      self->session_ = session;
      return 1;  // kept
    });
    client_ = SSL_new(client_ctx_);
    SSL_set_app_data(client_, this);
    SSL_set_bio(client_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(client_);
    if (!options.server_name.empty()) {
      SSL_set_tlsext_host_name(client_, options.server_name.c_str());
    }
    if (!options.alpn.empty()) {
      SSL_set_alpn_protos(client_, reinterpret_cast<const unsigned char*>(options.alpn.data()),
                          static_cast<unsigned int>(options.alpn.size()));
    }
    if (options.session != nullptr) SSL_set_session(client_, options.session);
    server_ = TlsSession::Server(server, table);
    Run();
  }
  ~Handshake() {
    if (session_ != nullptr) SSL_SESSION_free(session_);
    SSL_free(client_);
    SSL_CTX_free(client_ctx_);
    ERR_clear_error();
  }

  bool ok() const { return ok_; }
  // The last session the server issued (a ticket); owned by the handshake.
  SSL_SESSION* session() const { return session_; }
  SSL* client() const { return client_; }
  TlsSession& server() { return *server_; }

  // The subject CN of the certificate the server sent.
  std::string PeerName() const {
    X509* peer = SSL_get_peer_certificate(client_);
    if (peer == nullptr) return "";
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
    X509_free(peer);
    return name;
  }

  // Exchanges application data once each way, so TLS 1.3 tickets (sent after the handshake,
  // BoringSSL's with the server's first data) reach the client; returns what the server
  // decrypted.
  std::string Exchange(const std::string& message) {
    SSL_write(client_, message.data(), static_cast<int>(message.size()));
    std::string plaintext;
    EXPECT_TRUE(server_->Receive(Drain(SSL_get_wbio(client_)), &plaintext).ok());
    EXPECT_TRUE(server_->Send("answer").ok());
    Feed(server_->TakeOutgoing());
    char buffer[256];
    EXPECT_EQ(SSL_read(client_, buffer, sizeof(buffer)), 6);
    return plaintext;
  }

 private:
  static std::string Drain(BIO* bio) {
    std::string out(BIO_ctrl_pending(bio), '\0');
    if (!out.empty()) BIO_read(bio, out.data(), static_cast<int>(out.size()));
    return out;
  }
  void Feed(const std::string& bytes) {
    if (!bytes.empty())
      BIO_write(SSL_get_rbio(client_), bytes.data(), static_cast<int>(bytes.size()));
  }
  void Run() {
    for (int round = 0; round < 20; ++round) {
      int done = SSL_do_handshake(client_);
      // Asked now: writing the server's bytes into the client's BIO resets its retry state.
      int error = done == 1 ? SSL_ERROR_NONE : SSL_get_error(client_, done);
      std::string plaintext;
      absl::Status received = server_->Receive(Drain(SSL_get_wbio(client_)), &plaintext);
      Feed(server_->TakeOutgoing());
      if (!received.ok()) return;
      if (done == 1 && server_->handshake_done()) {
        ok_ = true;
        return;
      }
      if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ) return;
    }
  }

  SSL_CTX* client_ctx_;
  SSL* client_;
  std::unique_ptr<TlsSession> server_;
  SSL_SESSION* session_ = nullptr;
  bool ok_ = false;
};

}  // namespace gatehouse::dataplane::tls
