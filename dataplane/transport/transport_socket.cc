#include "dataplane/transport/transport_socket.h"

#include "absl/strings/str_cat.h"

namespace gatehouse::dataplane::transport {

TransportSocket::TransportSocket(event::TcpConnection tcp, event::Dispatcher& dispatcher, bool tls)
    : tcp_(std::move(tcp)), dispatcher_(dispatcher) {
  if (tls) tls_ = std::make_unique<Tls>(dispatcher);
}

TransportSocket::TransportSocket(event::TcpConnection tcp, event::Dispatcher& dispatcher,
                                 const tls::ServerContext* tls,
                                 const tls::CertificateTable* certificates,
                                 std::shared_ptr<const void> keep)
    : TransportSocket(std::move(tcp), dispatcher, tls != nullptr) {
  if (tls_ == nullptr) return;
  tls_->session = tls::TlsSession::Server(*tls, certificates);
  tls_->keep = std::move(keep);
}

absl::StatusOr<std::unique_ptr<TransportSocket>> TransportSocket::Connect(
    event::Dispatcher& dispatcher, const std::string& ip, uint16_t port,
    const tls::ClientContext* tls, const std::string& server_name, Callbacks* callbacks) {
  std::unique_ptr<tls::TlsSession> session;
  if (tls != nullptr) {
    session = tls::TlsSession::Client(*tls, server_name);
    if (session == nullptr) return absl::InternalError("cannot start TLS");
  }
  absl::StatusOr<std::unique_ptr<event::TcpConnection>> tcp =
      event::TcpConnection::Connect(dispatcher, ip, port, nullptr);
  if (!tcp.ok()) return tcp.status();
  std::unique_ptr<TransportSocket> socket(
      new TransportSocket(std::move(**tcp), dispatcher, tls != nullptr));
  if (socket->tls_ != nullptr) {
    socket->tls_->session = std::move(session);
    socket->tls_->client = true;
  }
  socket->Start(callbacks);
  return socket;
}

TransportSocket::~TransportSocket() {
  if (tls_ != nullptr || kicked_) dispatcher_.CancelCallAfterIo(this);
}

void TransportSocket::Start(Callbacks* callbacks) {
  callbacks_ = callbacks;
  tcp_.SetCallbacks(this);
  if (!tcp_.input().empty()) {
    // Bytes read before (those after a PROXY header, a ClientHello looked at for passthrough)
    // are taken after this turn's I/O, as a read would have been.
    kicked_ = true;
    dispatcher_.CallAfterIo(this, [](void* self) {
      auto& socket = *static_cast<TransportSocket*>(self);
      if (socket.tcp_.open() && !socket.tcp_.input().empty()) socket.OnData(socket.tcp_.input());
    });
  }
}

void TransportSocket::OnConnect(const absl::Status& status) {
  if (!status.ok()) {
    if (tls_ != nullptr) tls_->failed = true;
    callbacks_->OnConnect(status);
    return;
  }
  tcp_.StartReading();
  if (tls_ == nullptr) {
    callbacks_->OnConnect(status);
    return;
  }
  std::string none;
  absl::Status hello = tls_->session->Receive("", &none);  // the ClientHello
  FlushTls();
  if (!hello.ok()) Fail(hello);
}

void TransportSocket::Write(std::string data) {
  if (!tcp_.open()) return;
  if (tls_ == nullptr) {
    tcp_.Write(std::move(data));
    return;
  }
  WriteCopy(data);
}

void TransportSocket::WriteCopy(absl::string_view data) {
  if (!tcp_.open()) return;
  if (tls_ == nullptr) {
    tcp_.WriteCopy(data);
    return;
  }
  tls_->pending.append(data.data(), data.size());
  if (tls_->send_scheduled) return;
  tls_->send_scheduled = true;
  tls_->dispatcher.CallAfterIo(this, [](void* key) {
    auto* self = static_cast<TransportSocket*>(key);
    self->tls_->send_scheduled = false;
    if (!self->tcp_.open()) return;
    if (!self->SendPending()) {
      // On a fresh stack: the owner hears of it as of any broken connection.
      self->Fail(absl::UnavailableError("TLS session failed while sending"));
      return;
    }
    self->callbacks_->OnQueued();
    // A writer told to wait while its bytes were still plaintext hears it may go on, unless
    // the socket's own queue is now over its mark (then the socket says so when it drains).
    if (self->tls_->blocked_seen && self->tcp_.open() && !self->WriteBlocked()) {
      self->tls_->blocked_seen = false;
      self->callbacks_->OnWritable();
    }
  });
}

bool TransportSocket::WriteBlocked() const {
  bool blocked =
      pending_write_bytes() >= event::TcpConnection::kHighWatermark || tcp_.WriteBlocked();
  if (blocked && tls_ != nullptr) tls_->blocked_seen = true;
  return blocked;
}

void TransportSocket::OnWritable() {
  if (tls_ != nullptr) tls_->blocked_seen = false;
  callbacks_->OnWritable();
}

size_t TransportSocket::pending_write_bytes() const {
  return tcp_.pending_write_bytes() + (tls_ != nullptr ? tls_->pending.size() : 0);
}

bool TransportSocket::SendPending() {
  if (tls_->pending.empty()) return true;
  std::string plaintext = std::move(tls_->pending);
  tls_->pending.clear();
  if (tls_->failed || !tls_->session->Send(plaintext).ok()) return false;
  FlushTls();
  return true;
}

void TransportSocket::FlushTls() {
  std::string out = tls_->session->TakeOutgoing();
  if (!out.empty()) tcp_.Write(std::move(out));
}

void TransportSocket::Fail(const absl::Status& status) {
  if (tls_->failed) return;
  tls_->failed = true;
  if (tls_->client && !tls_->connected) {
    callbacks_->OnConnect(status);  // the handshake or the certificate check failed
  } else {
    callbacks_->OnRemoteClose(absl::IsCancelled(status) ? "" : status.message());
  }
}

void TransportSocket::OnData(event::Buffer& input) {
  if (tls_ == nullptr) {
    callbacks_->OnData(input);
    return;
  }
  if (tls_->failed) {
    input.Consume(input.size());
    return;
  }
  std::string plaintext;
  const bool was_done = tls_->session->handshake_done();
  absl::Status received = tls_->session->Receive(input.view(), &plaintext);
  input.Consume(input.size());
  FlushTls();  // the handshake's answers
  if (!tls_->client && !was_done && tls_->session->handshake_done() &&
      tls_->session->peer_certificate() != nullptr) {
    // A handshake that asked for a client certificate sends no session ticket, so nothing
    // follows the client's last flight to carry its ACK: acknowledge it now, or a client that
    // holds its request back until then (Nagle) waits for the delayed-ACK timer.
    tcp_.AcknowledgeNow();
  }
  if (tls_->session->handshake_done()) tls_->keep.reset();
  if (tls_->client && !tls_->connected) {
    if (!received.ok()) {
      Fail(received);
      return;
    }
    if (!tls_->session->handshake_done()) return;
    tls_->connected = true;
    callbacks_->OnConnect(absl::OkStatus());
    if (!tcp_.open()) return;
  }
  // What arrived before a close is delivered first; a close_notify is a clean end.
  tls_->plaintext.Append(plaintext);
  if (!plaintext.empty() || !tls_->client) callbacks_->OnData(tls_->plaintext);
  if (!received.ok() && tcp_.open()) Fail(received);
}

void TransportSocket::OnRemoteClose(absl::string_view error) {
  if (tls_ != nullptr) {
    if (tls_->failed) return;  // already reported
    if (tls_->client && !tls_->connected) {
      Fail(absl::UnavailableError(absl::StrCat("the connection closed during the TLS handshake",
                                               error.empty() ? "" : ": ", error)));
      return;
    }
    tls_->failed = true;
  }
  callbacks_->OnRemoteClose(error);
}

void TransportSocket::CloseAfterWrites(uint64_t linger_ms, event::CloseHook on_closed) {
  if (!tcp_.open()) {
    on_closed.Run();
    return;
  }
  if (tls_ != nullptr && !tls_->failed) {
    if (!SendPending()) {
      tcp_.Close();  // the session broke: nothing more can be said
      on_closed.Run();
      return;
    }
    tls_->session->Shutdown();  // close_notify
    FlushTls();
  }
  tcp_.CloseAfterWrites(linger_ms, on_closed);
}

void TransportSocket::Close() { tcp_.Close(); }

}  // namespace gatehouse::dataplane::transport
