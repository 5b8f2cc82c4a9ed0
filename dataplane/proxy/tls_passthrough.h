// ssl-passthrough: a TLS connection whose ClientHello names a passthrough host goes, its bytes
// untouched, to an endpoint of that host's cluster; any other is handed on, to be terminated
// here as usual.
//
// The ClientHello is waited for at most the request header timeout, and read up to 16 KiB; a
// client that sends something else is handed on as it is (its handshake then goes as it would
// have), and one that sends nothing in time is closed. The endpoint's connect has the request
// header timeout too, from the moment it starts. The tunnel ends both ways when either side
// closes or fails (the other sends what it holds first, lingering at most 30 s, its slot of the
// connection limit held until then), or after the tunnel idle timeout without a byte moving;
// each side's queue past its high watermark pauses the other side's reads. Half-closes are not
// carried: one side's end ends both.
#pragma once

#include <memory>

#include "dataplane/config/dataplane_config.h"
#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/tcp.h"
#include "dataplane/proxy/proxy_stream.h"

namespace gatehouse::dataplane::proxy {

class TlsPassthrough : public event::DeferredDeletable, private event::DeadlineQueue::Entry {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // What became of the connection's slot of the connection limit when it was done.
    enum class Slot {
      kFree,      // released: nothing of the connection is left
      kHandedOn,  // TerminateTls took the connection, and its slot
      kLingers,   // a socket still sends its last bytes; OnPassthroughLingerEnd follows
    };
    // The connection is not passed through: the owner terminates its TLS. Its first bytes are
    // still in `client`'s input.
    virtual void TerminateTls(std::unique_ptr<event::TcpConnection> client) = 0;
    // Nothing more happens here; the owner retires it.
    virtual void OnPassthroughDone(TlsPassthrough& passthrough, Slot slot) = 0;
    virtual void OnPassthroughLingerEnd() = 0;
  };

  enum class Outcome { kTunneled, kTerminated, kFailed };

  TlsPassthrough(WorkerContext& context, Owner& owner, std::unique_ptr<event::TcpConnection> client,
                 std::shared_ptr<const config::DataplaneConfig> config);
  ~TlsPassthrough() override;

  void Start();
  // Closes both sides now.
  void Close();

 private:
  enum class Phase { kPeeking, kConnecting, kTunnel, kHandingOn, kDone };

  // One side of the tunnel: its socket's callbacks, with the other side to write to.
  class Side : public event::TcpConnection::Callbacks {
   public:
    Side(TlsPassthrough& owner, bool upstream) : owner_(owner), upstream_(upstream) {}
    void OnData(event::Buffer& input) override { owner_.OnData(upstream_, input); }
    void OnRemoteClose(absl::string_view error) override { owner_.OnRemoteClose(upstream_, error); }
    void OnWritable() override { owner_.OnWritable(upstream_); }
    void OnConnect(const absl::Status& status) override { owner_.OnConnect(status); }

   private:
    TlsPassthrough& owner_;
    const bool upstream_;
  };

  void OnData(bool from_upstream, event::Buffer& input);
  void OnRemoteClose(bool from_upstream, absl::string_view error);
  void OnWritable(bool upstream);
  void OnConnect(const absl::Status& status);
  // event::DeadlineQueue::Entry: no ClientHello in time, or a tunnel idle too long.
  void OnDeadline() override;

  // The ClientHello is in: pass the connection through, or hand it on.
  void Decide(absl::string_view server_name);
  // Hands the client on after this turn's I/O (not from inside its own callback).
  void HandOn();
  void Finish(Outcome outcome);
  event::TcpConnection& Other(bool upstream) { return upstream ? *client_ : *upstream_; }

  WorkerContext& context_;
  Owner& owner_;
  std::shared_ptr<const config::DataplaneConfig> config_;  // holds cluster_ and endpoint_
  std::unique_ptr<event::TcpConnection> client_;
  std::unique_ptr<event::TcpConnection> upstream_;
  Side client_side_{*this, false};
  Side upstream_side_{*this, true};
  const config::ClusterConfig* cluster_ = nullptr;
  const config::EndpointAddress* endpoint_ = nullptr;
  Phase phase_ = Phase::kPeeking;
  size_t hello_needed_ = 0;  // the input is parsed again once it holds this much
};

}  // namespace gatehouse::dataplane::proxy
