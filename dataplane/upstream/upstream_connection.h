// One connection from a worker to an endpoint, speaking HTTP/1.1.
//
// Owned by the stream using it or, between requests, by its endpoint's ConnPool. Whoever owns
// it is its Listener. It is destroyed only through Dispatcher::DeferDelete, since the owner
// often lets go of it from inside one of its callbacks.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/event/tcp.h"
#include "dataplane/http/http1_client_codec.h"

namespace gatehouse::dataplane::upstream {

class UpstreamConnection : public event::DeferredDeletable,
                           private event::TcpConnection::Callbacks,
                           private http::Http1ClientCodec::Callbacks {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnConnect(UpstreamConnection& connection, const absl::Status& status) = 0;
    // The connection closed; for a connection in use its codec has already reset the stream.
    virtual void OnClose(UpstreamConnection& connection) = 0;
  };

  // Starts connecting to `endpoint`.
  static absl::StatusOr<std::unique_ptr<UpstreamConnection>> Connect(
      event::Dispatcher& dispatcher, const config::EndpointAddress& endpoint);
  ~UpstreamConnection() override;

  void SetListener(Listener* listener) { listener_ = listener; }
  http::Http1ClientCodec& codec() { return codec_; }
  bool connected() const { return connected_ && !closed_; }
  // Connected, not closed, and the last exchange left it reusable.
  bool Reusable() const { return connected() && codec_.reusable(); }
  const std::string& endpoint_key() const { return endpoint_key_; }
  // Reads again if a stream paused reading (a pooled connection must watch its socket).
  void ResumeReading() { PauseReading(false); }

 private:
  explicit UpstreamConnection(std::string endpoint_key);

  // event::TcpConnection::Callbacks
  void OnData(event::Buffer& input) override;
  void OnRemoteClose(absl::string_view error) override;
  void OnWritable() override { codec_.OnWritable(); }
  void OnConnect(const absl::Status& status) override;

  // http::Http1ClientCodec::Callbacks
  void Write(std::string data) override { tcp_->Write(std::move(data)); }
  bool WriteBlocked() const override { return tcp_->AboveHighWatermark(); }
  void PauseReading(bool paused) override;

  std::string endpoint_key_;
  std::unique_ptr<event::TcpConnection> tcp_;
  http::Http1ClientCodec codec_;
  Listener* listener_ = nullptr;
  bool connected_ = false;
  bool closed_ = false;
  bool reading_paused_ = false;
};

}  // namespace gatehouse::dataplane::upstream
