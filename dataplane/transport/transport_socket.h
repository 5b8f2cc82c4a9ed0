// Plain or TLS bytes over one TCP connection, for client connections and upstream connections
// alike: the owner reads and writes plaintext, and the codecs above it never learn which.
//
// A plain socket is its TcpConnection and little more: it is held by value, and the TLS state
// is allocated only for a TLS connection, so an idle plain client connection costs what its
// socket needs. With TLS, everything written during one turn of the loop is encrypted together
// after the turn's I/O: fewer, fuller records.
//
// An upstream (client-side) socket reports OnConnect once it is usable: for TLS, after the
// handshake and the certificate check. An accepted socket hands the owner every read, so the
// owner can see the handshake end (handshake_done(), alpn()) before any application byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/event/buffer.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/event/tcp.h"
#include "dataplane/tls/tls_context.h"
#include "dataplane/tls/tls_session.h"

namespace gatehouse::dataplane::transport {

class TransportSocket : private event::TcpConnection::Callbacks {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    // Plaintext was appended to `input` (an accepted socket calls it after every read, even
    // with nothing new); consume what was used.
    virtual void OnData(event::Buffer& input) = 0;
    // The connection ended: the peer closed it (`error` empty) or it failed. Only Close or
    // destruction follows.
    virtual void OnRemoteClose(absl::string_view error) = 0;
    // The socket's write queue fell to its low watermark after passing the high one.
    virtual void OnWritable() {}
    // An upstream socket is usable (with TLS: handshake and certificate check done), or is
    // not and never will be.
    virtual void OnConnect(const absl::Status& status) {}
    // Bytes went into the socket's write queue outside a write call of the owner's (TLS
    // records made after the turn's I/O): a moment to look at the queue's size.
    virtual void OnQueued() {}
  };

  // An accepted connection: plain when `tls` is null, else TLS with `tls` as the default
  // context and `certificates` (may be null) choosing by SNI. `keep` holds whatever owns the
  // certificates until the handshake is done.
  TransportSocket(event::TcpConnection tcp, event::Dispatcher& dispatcher,
                  const tls::ServerContext* tls, const tls::CertificateTable* certificates,
                  std::shared_ptr<const void> keep);
  // Starts connecting to `ip`:`port`; with `tls`, TLS inside, sending `server_name` as SNI
  // (and, when the context verifies, checking the certificate names it).
  static absl::StatusOr<std::unique_ptr<TransportSocket>> Connect(
      event::Dispatcher& dispatcher, const std::string& ip, uint16_t port,
      const tls::ClientContext* tls, const std::string& server_name, Callbacks* callbacks);
  ~TransportSocket() override;
  TransportSocket(const TransportSocket&) = delete;
  TransportSocket& operator=(const TransportSocket&) = delete;

  // Accepted sockets: whom to tell, and from now on.
  void Start(Callbacks* callbacks);

  void Write(std::string data);
  void WriteCopy(absl::string_view data);
  // Bytes written and not yet sent, counting plaintext not yet encrypted.
  size_t pending_write_bytes() const;
  // Whether the writer should wait: OnWritable follows when it may go on. (With TLS, bytes
  // counted here while still plaintext may leave without the socket's queue ever passing its
  // high watermark: the socket says so itself then.)
  bool WriteBlocked() const;
  // Charges the socket's queue to `budget` (null: to none); see event::BufferBudget.
  void SetBudget(event::BufferBudget* budget) { tcp_.SetBudget(budget); }
  // Whether the socket's own queue (ciphertext, for TLS) is over its high watermark.
  bool AboveHighWatermark() const { return tcp_.AboveHighWatermark(); }
  void StartReading() { tcp_.StartReading(); }
  void StopReading() { tcp_.StopReading(); }
  // Plaintext read and not yet consumed.
  event::Buffer& input() { return tls_ != nullptr ? tls_->plaintext : tcp_.input(); }
  const event::Buffer& input() const { return tls_ != nullptr ? tls_->plaintext : tcp_.input(); }

  // Sends what was written (with TLS, then close_notify) and closes; at the latest after
  // `linger_ms` for a peer that stopped reading. Then `on_closed` runs (at once when there is
  // nothing left to send); no other callback runs afterwards.
  void CloseAfterWrites(uint64_t linger_ms = event::TcpConnection::kDefaultLingerMs,
                        event::CloseHook on_closed = {});
  // Closes now, dropping what waits; no callback runs afterwards.
  void Close();

  bool secure() const { return tls_ != nullptr; }
  // TLS: whether the handshake is done, and the protocol agreed through ALPN ("h2", or empty).
  bool handshake_done() const { return tls_ == nullptr || tls_->session->handshake_done(); }
  absl::string_view alpn() const { return tls_ != nullptr ? tls_->session->alpn() : ""; }
  // TLS whose SNI name asked for a client certificate: what it proved (after the handshake).
  std::shared_ptr<const tls::PeerCertificate> peer_certificate() const {
    return tls_ != nullptr ? tls_->session->peer_certificate() : nullptr;
  }
  std::string peer_ip() const { return tcp_.peer_ip(); }
  uint16_t local_port() const { return tcp_.local_port(); }
  bool proxy_protocol() const { return tcp_.proxy_protocol(); }

 private:
  // What only a TLS socket has.
  struct Tls {
    explicit Tls(event::Dispatcher& dispatcher) : dispatcher(dispatcher) {}
    event::Dispatcher& dispatcher;
    std::unique_ptr<tls::TlsSession> session;
    std::shared_ptr<const void> keep;  // the certificates' owner, until the handshake is done
    event::Buffer plaintext;           // decrypted, not yet consumed
    std::string pending;               // written this turn, not yet encrypted
    bool send_scheduled = false;
    bool blocked_seen = false;  // WriteBlocked() said true: OnWritable is owed
    bool client = false;
    bool connected = false;  // client: reported usable
    bool failed = false;     // the session broke: reported once, then silent
  };

  TransportSocket(event::TcpConnection tcp, event::Dispatcher& dispatcher, bool tls);

  // event::TcpConnection::Callbacks
  void OnData(event::Buffer& input) override;
  void OnRemoteClose(absl::string_view error) override;
  void OnWritable() override;
  void OnConnect(const absl::Status& status) override;

  // Encrypts what this turn wrote and queues it; false when the session failed.
  bool SendPending();
  // Queues what TLS has for the peer.
  void FlushTls();
  // The TLS session failed: report it once, as a connect failure or a close.
  void Fail(const absl::Status& status);

  event::TcpConnection tcp_;
  event::Dispatcher& dispatcher_;
  std::unique_ptr<Tls> tls_;  // null: plain
  bool kicked_ = false;       // Start asked for a call after this turn's I/O
  Callbacks* callbacks_ = nullptr;
};

}  // namespace gatehouse::dataplane::transport
