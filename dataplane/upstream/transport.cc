#include "dataplane/upstream/transport.h"

#include "absl/strings/str_cat.h"

namespace gatehouse::dataplane::upstream {

absl::StatusOr<std::unique_ptr<Transport>> Transport::Connect(
    event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
    const config::EndpointAddress& endpoint, Callbacks* callbacks) {
  std::unique_ptr<Transport> transport(new Transport(callbacks));
  if (cluster.tls != nullptr) {
    transport->tls_ = tls::TlsSession::Client(*cluster.tls, cluster.tls_server_name);
    if (transport->tls_ == nullptr) return absl::InternalError("cannot start TLS");
  }
  absl::StatusOr<std::unique_ptr<event::TcpConnection>> tcp =
      event::TcpConnection::Connect(dispatcher, endpoint.ip(), endpoint.port(), transport.get());
  if (!tcp.ok()) return tcp.status();
  transport->tcp_ = *std::move(tcp);
  return transport;
}

Transport::~Transport() = default;

void Transport::OnConnect(const absl::Status& status) {
  if (!status.ok()) {
    failed_ = true;
    callbacks_->OnConnect(status);
    return;
  }
  tcp_->StartReading();
  if (tls_ == nullptr) {
    connected_ = true;
    callbacks_->OnConnect(status);
    return;
  }
  std::string none;
  absl::Status hello = tls_->Receive("", &none);  // the ClientHello
  FlushTls();
  if (!hello.ok()) {
    failed_ = true;
    callbacks_->OnConnect(hello);
  }
}

void Transport::Write(std::string data) {
  if (tls_ == nullptr) {
    tcp_->Write(std::move(data));
    return;
  }
  // Sending fails only after a fatal TLS error, which the read side reports as the close.
  if (tls_->Send(data).ok()) FlushTls();
}

void Transport::WriteCopy(absl::string_view data) {
  if (tls_ == nullptr) {
    tcp_->WriteCopy(data);
    return;
  }
  if (tls_->Send(data).ok()) FlushTls();
}

void Transport::FlushTls() {
  std::string out = tls_->TakeOutgoing();
  if (!out.empty()) tcp_->Write(std::move(out));
}

void Transport::OnData(event::Buffer& input) {
  if (tls_ == nullptr) {
    callbacks_->OnData(input);
    return;
  }
  if (failed_) {
    input.Consume(input.size());
    return;
  }
  std::string plaintext;
  absl::Status received = tls_->Receive(input.view(), &plaintext);
  input.Consume(input.size());
  FlushTls();
  if (!connected_) {
    if (!received.ok()) {
      failed_ = true;
      callbacks_->OnConnect(received);  // the handshake or the certificate check failed
      return;
    }
    if (!tls_->handshake_done()) return;
    connected_ = true;
    callbacks_->OnConnect(absl::OkStatus());
  }
  // What arrived before a close is delivered first; a close_notify is a clean end.
  if (!plaintext.empty()) {
    plaintext_.Append(plaintext);
    callbacks_->OnData(plaintext_);
  }
  if (!received.ok()) {
    failed_ = true;
    callbacks_->OnRemoteClose(absl::IsCancelled(received) ? "" : received.message());
  }
}

void Transport::OnRemoteClose(absl::string_view error) {
  if (failed_) return;  // already reported
  if (!connected_) {
    failed_ = true;
    callbacks_->OnConnect(absl::UnavailableError(absl::StrCat(
        "the connection closed during the TLS handshake", error.empty() ? "" : ": ", error)));
    return;
  }
  callbacks_->OnRemoteClose(error);
}

}  // namespace gatehouse::dataplane::upstream
