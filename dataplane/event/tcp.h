// TCP listeners and connections on a Dispatcher's loop.
//
// A TcpConnection reads into its input Buffer and hands it to its Callbacks; writes are queued
// and reported against high/low watermarks so the other side of a proxy can pause and resume.
// Destroying a TcpConnection closes it at once; the libuv handle is freed in its close callback
// and no callback reaches the owner afterwards.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/event/buffer.h"
#include "dataplane/event/buffer_budget.h"
#include "dataplane/event/dispatcher.h"

namespace gatehouse::dataplane::event {

// What runs, `fn(arg)`, once a lingering socket is closed, however that comes about: its writes
// ended, the peer failed, the linger ran out, or the loop ended.
struct CloseHook {
  void (*fn)(void*) = nullptr;
  void* arg = nullptr;
  void Run() const {
    if (fn != nullptr) fn(arg);
  }
};

class TcpConnection {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    // Bytes were appended to `input`; consume what was used, leave the rest for later.
    virtual void OnData(Buffer& input) = 0;
    // The connection ended: the peer closed it (`error` empty) or reading or writing failed.
    // The connection must not be used afterwards except to be destroyed.
    virtual void OnRemoteClose(absl::string_view error) = 0;
    // The write queue fell to the low watermark after passing the high one.
    virtual void OnWritable() {}
    // An outgoing connection was established (OK) or could not be.
    virtual void OnConnect(const absl::Status& status) {}
  };

  static constexpr size_t kHighWatermark = 1 << 20;
  static constexpr size_t kLowWatermark = 256 << 10;

  // Starts connecting to `ip`:`port`; the outcome arrives in Callbacks::OnConnect.
  static absl::StatusOr<std::unique_ptr<TcpConnection>> Connect(Dispatcher& dispatcher,
                                                                const std::string& ip,
                                                                uint16_t port,
                                                                Callbacks* callbacks);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;
  // Takes over `other`'s socket (an owner keeping the connection by value saves an allocation);
  // `other` is left closed.
  TcpConnection(TcpConnection&& other) noexcept
      : handle_(other.handle_),
        peer_address_(other.peer_address_),
        peer_family_(other.peer_family_),
        local_port_(other.local_port_),
        proxy_protocol_(other.proxy_protocol_) {
    other.handle_ = nullptr;
  }

  void SetCallbacks(Callbacks* callbacks);
  void StartReading();
  void StopReading();
  // Acknowledges what was read now, rather than after the kernel's delayed-ACK timer (Linux's
  // TCP_QUICKACK), for when nothing is about to be sent that would carry the ACK: a client whose
  // stack holds its next small write until then (Nagle's algorithm) would otherwise wait 40 ms.
  void AcknowledgeNow();
  // Queues `data`; it is sent in order, then the queue shrinks. Writes made during one turn of
  // the loop leave together, in one system call when the socket takes them.
  void Write(std::string data);
  // Queues a copy of `data`, usually into the space left after what this turn already wrote:
  // a response body joins its head without a buffer of its own.
  void WriteCopy(absl::string_view data);
  size_t pending_write_bytes() const;
  // Bytes read but not yet consumed, for an owner resuming after it paused.
  Buffer& input();
  const Buffer& input() const;
  // The queue alone is past the high watermark (the connection is slow to take bytes).
  bool AboveHighWatermark() const { return pending_write_bytes() >= kHighWatermark; }
  // True when the owner must stop writing: the queue is past the high watermark, or past the
  // budget's floor with the budget exhausted. OnWritable follows once it may go on.
  bool WriteBlocked() const;
  // Charges the write queue to `budget` from now on (null: to none), moving the charge from
  // the budget before. Close and CloseAfterWrites take it off.
  void SetBudget(BufferBudget* budget);
  // How long CloseAfterWrites waits, by default, for a peer that stopped reading.
  static constexpr uint64_t kDefaultLingerMs = 30 * 1000;
  // Sends what is queued, then closes: at the latest after `linger_ms`, for a peer that stopped
  // reading; then `on_closed` runs. No other callback runs afterwards and no other method may be
  // called.
  void CloseAfterWrites(uint64_t linger_ms = kDefaultLingerMs, CloseHook on_closed = {});
  // Closes now, dropping what is queued; no callback runs afterwards and no other method may be
  // called.
  void Close();

  // The peer's address as text (IP only), e.g. "127.0.0.1".
  std::string peer_ip() const;
  // For an accepted connection, the port the client connected to; 0 otherwise.
  uint16_t local_port() const { return local_port_; }
  // The client and the port it connected to are those a PROXY protocol header named (the
  // socket's peer is the load balancer): peer_ip() and local_port() say these from now on.
  // `family` is AF_INET (4 bytes at `address`) or AF_INET6 (16).
  void SetProxiedPeer(int family, const unsigned char* address, uint16_t local_port);
  // The connection began with a PROXY protocol header (naming the client or not): its client is
  // what the load balancer said, never what a request's headers say.
  void MarkProxyProtocol() { proxy_protocol_ = true; }
  bool proxy_protocol() const { return proxy_protocol_; }
  bool connected() const;
  // False once Close or CloseAfterWrites was called (or the socket moved away).
  bool open() const { return handle_ != nullptr; }

  struct Handle;  // libuv state, defined in tcp.cc

 private:
  explicit TcpConnection(Handle* handle) : handle_(handle) {}
  friend class TcpListener;
  // Sends `data` now: as much as the socket takes at once, the rest queued in libuv.
  static void WriteNow(Handle* handle, std::string data);
  // Sends the outbox at the end of this turn of the loop.
  static void ScheduleFlush(Handle* handle);

  Handle* handle_;  // freed in its close callback
  // The peer's address as bytes (4 or 16), not text: every connection keeps it.
  std::array<unsigned char, 16> peer_address_{};
  unsigned char peer_family_ = 0;  // AF_INET, AF_INET6, or 0 when unknown
  uint16_t local_port_ = 0;
  bool proxy_protocol_ = false;
};

class TcpListener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<TcpConnection>)>;

  // Takes over the bound, listening socket `fd` and accepts on `dispatcher`'s loop.
  static absl::StatusOr<std::unique_ptr<TcpListener>> Create(Dispatcher& dispatcher, int fd,
                                                             AcceptFn on_accept);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

 private:
  struct Handle;
  explicit TcpListener(Handle* handle) : handle_(handle) {}
  Handle* handle_;
};

}  // namespace gatehouse::dataplane::event
