// A connection to one endpoint as a cluster makes it: TCP, with TLS inside when the cluster
// asks for it. The owner reads and writes plaintext and hears of the connection only once it is
// usable: for TLS, after the handshake (and the certificate check) succeeded.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/buffer.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/event/tcp.h"
#include "dataplane/tls/tls_session.h"

namespace gatehouse::dataplane::upstream {

class Transport : private event::TcpConnection::Callbacks {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    // Connected (and, with TLS, the handshake done), or failed.
    virtual void OnConnect(const absl::Status& status) = 0;
    // Plaintext was appended to `input`; consume what was used.
    virtual void OnData(event::Buffer& input) = 0;
    // The connection ended (the peer closed it, or it failed); only destruction follows.
    virtual void OnRemoteClose(absl::string_view error) = 0;
    virtual void OnWritable() = 0;
  };

  // Starts connecting to `endpoint` as `cluster` says (TLS, SNI).
  static absl::StatusOr<std::unique_ptr<Transport>> Connect(event::Dispatcher& dispatcher,
                                                            const config::ClusterConfig& cluster,
                                                            const config::EndpointAddress& endpoint,
                                                            Callbacks* callbacks);
  ~Transport() override;

  void Write(std::string data);
  void WriteCopy(absl::string_view data);
  bool AboveHighWatermark() const { return tcp_->AboveHighWatermark(); }
  void StartReading() { tcp_->StartReading(); }
  void StopReading() { tcp_->StopReading(); }
  // Plaintext read and not yet consumed, for an owner resuming after it paused.
  event::Buffer& input() { return tls_ != nullptr ? plaintext_ : tcp_->input(); }

 private:
  explicit Transport(Callbacks* callbacks) : callbacks_(callbacks) {}

  // event::TcpConnection::Callbacks
  void OnData(event::Buffer& input) override;
  void OnRemoteClose(absl::string_view error) override;
  void OnWritable() override { callbacks_->OnWritable(); }
  void OnConnect(const absl::Status& status) override;

  // Sends what TLS has for the peer.
  void FlushTls();

  Callbacks* callbacks_;
  std::unique_ptr<event::TcpConnection> tcp_;
  std::unique_ptr<tls::TlsSession> tls_;  // null: cleartext
  event::Buffer plaintext_;               // decrypted, not yet consumed
  bool connected_ = false;                // reported to the owner
  bool failed_ = false;
};

}  // namespace gatehouse::dataplane::upstream
