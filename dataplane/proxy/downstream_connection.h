// One client connection: bytes in, a server codec, one ProxyStream per request.
//
// Between requests a kept-alive HTTP/1.1 connection lets its codec go (and with it the parser),
// and makes a new one when the next request's first bytes arrive: an idle connection costs
// little more than its socket.
#pragma once

#include <memory>
#include <string>

#include "absl/container/inlined_vector.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/tcp.h"
#include "dataplane/http/server_codec.h"
#include "dataplane/proxy/proxy_stream.h"
#include "dataplane/transport/transport_socket.h"

namespace gatehouse::dataplane::proxy {

class DownstreamConnection : public event::DeferredDeletable,
                             private transport::TransportSocket::Callbacks,
                             private http::ServerCodec::Callbacks,
                             private ProxyStream::Owner,
                             // In one of the worker's deadline queues (idle, request head,
                             // tunnel, send), by phase.
                             private event::DeadlineQueue::Entry {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The connection is finished; the owner retires it. When it `lingers`, its socket still
    // sends its last bytes, and OnLingerEnd follows once the socket is closed.
    virtual void OnConnectionClosed(DownstreamConnection& connection, bool lingers) = 0;
    virtual void OnLingerEnd() = 0;
    // The config new requests start with.
    virtual std::shared_ptr<const config::DataplaneConfig> current_config() const = 0;
  };

  // With `tls` (the default context; null for plain HTTP) the connection speaks TLS, its
  // certificate picked by SNI from the config current at accept.
  DownstreamConnection(WorkerContext& context, Owner& owner,
                       std::unique_ptr<event::TcpConnection> tcp,
                       const tls::ServerContext* tls = nullptr);
  ~DownstreamConnection() override;

  void Start();
  // Takes no new requests: HTTP/1.1 responses say Connection: close, HTTP/2 sends GOAWAY.
  void Drain();
  // True when no request is in progress and no bytes of one wait to be parsed.
  bool idle() const { return (codec_ == nullptr || codec_->idle()) && Input().empty(); }
  // Closes at once, abandoning any request in flight.
  void Close(http::CloseReason reason, absl::string_view detail);

 private:
  DownstreamConnection(WorkerContext& context, Owner& owner,
                       std::unique_ptr<event::TcpConnection> tcp, const tls::ServerContext* tls,
                       std::shared_ptr<const config::DataplaneConfig> handshake_config);

  // transport::TransportSocket::Callbacks
  void OnData(event::Buffer& input) override;
  void OnRemoteClose(absl::string_view error) override;
  void OnWritable() override;
  void OnQueued() override { CheckWriteStall(); }

  // http::ServerCodec::Callbacks
  http::RequestDecoder& NewStream(http::ResponseEncoder& encoder) override;
  void Write(std::string data) override;
  void WriteCopy(absl::string_view data) override;
  // Over TLS, what this turn wrote and is not yet encrypted counts too.
  bool WriteBlocked() const override { return !closed_ && transport_.WriteBlocked(); }
  void PauseReading(bool paused) override;
  void CloseAfterWrites(http::CloseReason reason, absl::string_view detail) override;
  void Abort(http::CloseReason reason, absl::string_view detail) override { Close(reason, detail); }
  void OnReadyForNextRequest() override;
  std::string peer_ip() const override { return transport_.peer_ip(); }
  event::DeadlineQueue* stream_send_timeouts() override { return &context_.send_timeouts; }
  // http::ServerCodec::Callbacks and ProxyStream::Owner: the budget lives with the codec.
  event::BufferBudget* buffer_budget() override { return budget_.get(); }

  // ProxyStream::Owner
  void OnStreamDone(ProxyStream& stream) override;

  void ProcessInput();
  // Picks HTTP/2 or HTTP/1.1 for the connection: by ALPN over TLS, by the preface otherwise.
  // False until the first bytes (or the handshake) tell.
  bool ChooseProtocol();
  // The bytes the codec parses: what TLS decrypted, or what the socket read.
  event::Buffer& Input() { return transport_.input(); }
  const event::Buffer& Input() const { return transport_.input(); }
  // Arms the timer the connection's state calls for: idle between requests, header while a
  // request's head arrives, none while a stream runs.
  void UpdateTimeout();
  // event::DeadlineQueue::Entry
  void OnDeadline() override;

  WorkerContext& context_;
  Owner& owner_;
  // What the socket, the streams' upstream connections and HTTP/2 response bodies hold,
  // against --max-connection-buffer; made with the codec, let go with it. Before transport_:
  // the socket's charge is taken off before the budget goes.
  std::unique_ptr<event::BufferBudget> budget_;
  transport::TransportSocket transport_;  // plain or TLS; TLS state only when TLS
  // The codec, made on demand.
  http::ServerCodec& Codec();
  // Lets an idle connection's codec go, after this turn's I/O.
  void ScheduleRelease();

  std::unique_ptr<http::ServerCodec> codec_;  // null while idle
  // Its streams in progress: at most one over HTTP/1.1, held inline; many over HTTP/2.
  absl::InlinedVector<std::unique_ptr<ProxyStream>, 1> streams_;
  enum class Phase { kNone, kIdle, kReadingHead, kInStream, kTunnel, kWriteStalled };
  // After a write: a connection whose write queue went over its high watermark waits under the
  // send timeout until it drains.
  void CheckWriteStall();

  // The small fields together, so that no padding sits between them.
  http::ServerProtocol protocol_ = http::ServerProtocol::kUnknownYet;
  Phase phase_ = Phase::kNone;
  bool draining_ = false;
  bool release_scheduled_ = false;
  bool resume_scheduled_ = false;  // pipelined input will be parsed after this turn's I/O
  bool reading_paused_ = false;
  bool closed_ = false;
};

}  // namespace gatehouse::dataplane::proxy
