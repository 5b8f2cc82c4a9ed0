// One HTTP/1.1 connection from a worker to an endpoint: an UpstreamStream that has its
// connection to itself, reused for one exchange after another.
//
// Owned by the proxy stream using it or, between requests, by its endpoint's ConnPool. Whoever
// owns it is its Listener. It is destroyed only through Dispatcher::DeferDelete, since the owner
// often lets go of it from inside one of its callbacks.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/http/http1_client_codec.h"
#include "dataplane/transport/transport_socket.h"
#include "dataplane/upstream/upstream_stream.h"

namespace gatehouse::dataplane::upstream {

class UpstreamConnection : public UpstreamStream,
                           private transport::TransportSocket::Callbacks,
                           private http::Http1ClientCodec::Callbacks,
                           private event::DeadlineQueue::Entry {  // the pool's idle timeout
 public:
  // Hears that a connection waiting in a pool closed, or stayed idle past the pool's timeout.
  class IdleListener {
   public:
    virtual ~IdleListener() = default;
    virtual void OnIdleClose(UpstreamConnection& connection) = 0;
  };

  // Starts connecting to `endpoint` as `cluster` makes connections.
  static absl::StatusOr<std::unique_ptr<UpstreamConnection>> Connect(
      event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
      const config::EndpointAddress& endpoint);
  ~UpstreamConnection() override;

  // UpstreamStream
  void SetListener(Listener* listener) override { listener_ = listener; }
  http::RequestEncoder& encoder() override { return codec_; }
  void SetDecoder(http::ResponseDecoder* decoder) override { codec_.SetDecoder(decoder); }
  void SetBufferBudget(event::BufferBudget* budget) override { transport_->SetBudget(budget); }
  bool multiplexed() const override { return false; }
  const std::string& endpoint_key() const override { return endpoint_key_; }

  // The connection waits in a pool: no stream listens, `listener` hears when it closes or when
  // it has been idle for `timeouts`' duration, and it reads again to notice a close.
  void StartIdle(IdleListener& listener, event::DeadlineQueue& timeouts);
  // It leaves the pool for an exchange.
  void EndIdle();
  // The ConnPools key it is kept under.
  const std::string& connection_key() const { return connection_key_; }
  bool connected() const { return connected_ && !closed_; }
  // Connected, not closed, and the last exchange left it reusable.
  bool Reusable() const { return connected() && codec_.reusable(); }
  // Reads again if a stream paused reading (a pooled connection must watch its socket). Bytes
  // already read are parsed after this turn's I/O, never before this returns.
  void ResumeReading() { PauseReading(false); }

 private:
  UpstreamConnection(event::Dispatcher& dispatcher, std::string endpoint_key,
                     std::string connection_key);

  // transport::TransportSocket::Callbacks
  void OnData(event::Buffer& input) override;
  void OnRemoteClose(absl::string_view error) override;
  void OnWritable() override { codec_.OnWritable(); }
  void OnConnect(const absl::Status& status) override;

  // http::Http1ClientCodec::Callbacks
  void Write(std::string data) override { transport_->Write(std::move(data)); }
  void WriteCopy(absl::string_view data) override { transport_->WriteCopy(data); }
  bool WriteBlocked() const override { return transport_->WriteBlocked(); }
  void PauseReading(bool paused) override;

  // event::DeadlineQueue::Entry: idle in a pool for too long.
  void OnDeadline() override;

  event::Dispatcher& dispatcher_;
  std::string endpoint_key_;
  std::string connection_key_;
  std::unique_ptr<transport::TransportSocket> transport_;
  http::Http1ClientCodec codec_;
  Listener* listener_ = nullptr;
  IdleListener* idle_listener_ = nullptr;
  bool connected_ = false;
  bool closed_ = false;
  bool reading_paused_ = false;
  bool resume_scheduled_ = false;  // buffered input will be parsed after this turn's I/O
};

}  // namespace gatehouse::dataplane::upstream
