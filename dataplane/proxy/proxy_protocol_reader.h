// --use-proxy-protocol: every accepted connection must start with a PROXY protocol header
// (versions 1 and 2), which names the client for the access log, X-Forwarded-For, IP lists and
// hashing by address. The header is waited for at most the request header timeout; a connection
// that sends something else, a malformed header, or nothing in time is closed before a byte of
// it reaches TLS or HTTP.
#pragma once

#include <memory>

#include "dataplane/event/deadline_queue.h"
#include "dataplane/event/tcp.h"
#include "dataplane/proxy/proxy_stream.h"

namespace gatehouse::dataplane::proxy {

class ProxyProtocolReader : public event::DeferredDeletable,
                            private event::TcpConnection::Callbacks,
                            private event::DeadlineQueue::Entry {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The header was read and consumed: `tcp` names the client it named, and goes on, with its
    // slot of the connection limit, as a connection accepted on a `tls` listener.
    virtual void OnProxyHeaderRead(std::unique_ptr<event::TcpConnection> tcp, bool tls) = 0;
    // Nothing more happens here (the connection went on, or was closed and its slot is free);
    // the owner retires the reader.
    virtual void OnProxyReaderDone(ProxyProtocolReader& reader, bool handed_on) = 0;
  };

  ProxyProtocolReader(WorkerContext& context, Owner& owner,
                      std::unique_ptr<event::TcpConnection> client, bool tls);
  ~ProxyProtocolReader() override;

  void Start();
  // Closes the connection now.
  void Close();

 private:
  enum class Phase { kReading, kHandingOn, kDone };

  // event::TcpConnection::Callbacks
  void OnData(event::Buffer& input) override;
  void OnRemoteClose(absl::string_view error) override;
  // event::DeadlineQueue::Entry: no header in time.
  void OnDeadline() override;

  void Refuse(absl::string_view why);

  WorkerContext& context_;
  Owner& owner_;
  std::unique_ptr<event::TcpConnection> client_;
  const bool tls_;
  Phase phase_ = Phase::kReading;
  size_t needed_ = 0;  // the input is parsed again once it holds this much
};

}  // namespace gatehouse::dataplane::proxy
