// One HTTP/2 connection from a worker to an endpoint, shared by the exchanges of every proxy
// stream going there, up to the endpoint's limit on concurrent streams. Owned by the ConnPools;
// each exchange is an UpstreamStream owned by its proxy stream.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/http/http2_client_codec.h"
#include "dataplane/transport/transport_socket.h"
#include "dataplane/upstream/upstream_stream.h"

namespace gatehouse::dataplane::upstream {

class Http2Connection : public event::DeferredDeletable,
                        private transport::TransportSocket::Callbacks,
                        private http::Http2ClientCodec::Callbacks {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The connection is over (failed, closed, or drained); the owner lets it go.
    virtual void OnConnectionDone(Http2Connection& connection) = 0;
  };

  // Exchanges a connection takes before the endpoint's SETTINGS say how many it allows: the
  // minimum RFC 9113 recommends.
  static constexpr size_t kStreamsBeforeSettings = 100;

  static absl::StatusOr<std::unique_ptr<Http2Connection>> Connect(
      event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
      const config::EndpointAddress& endpoint, Owner* owner);
  ~Http2Connection() override;

  // A new exchange; its listener hears OnConnect once the connection is up, unless it already
  // is (connected()).
  std::unique_ptr<UpstreamStream> NewStream();
  bool connected() const { return connected_; }
  // Whether another exchange may start here.
  bool HasRoom() const;
  // Takes no new exchanges, and closes once those running are done.
  void Drain();
  const std::string& connection_key() const { return connection_key_; }

 private:
  class Exchange;
  friend class Exchange;

  Http2Connection(std::string endpoint_key, std::string connection_key, bool tls, Owner* owner);

  // transport::TransportSocket::Callbacks
  void OnConnect(const absl::Status& status) override;
  void OnData(event::Buffer& input) override;
  void OnRemoteClose(absl::string_view error) override;
  void OnWritable() override { codec_.OnWritable(); }

  // http::Http2ClientCodec::Callbacks
  void Write(std::string data) override;
  bool WriteBlocked() const override { return transport_ != nullptr && transport_->WriteBlocked(); }

  void Detach(Exchange* exchange);
  // Tells the owner the connection is over, once.
  void Done();

  const std::string endpoint_key_;
  const std::string connection_key_;
  Owner* owner_;
  std::unique_ptr<transport::TransportSocket> transport_;
  http::Http2ClientCodec codec_;
  std::vector<Exchange*> exchanges_;  // every exchange not yet destroyed
  std::string before_connect_;        // frames written before the connection was up
  bool connected_ = false;
  bool draining_ = false;
  bool done_ = false;
};

}  // namespace gatehouse::dataplane::upstream
