#include "dataplane/event/tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace gatehouse::dataplane::event {
namespace {

constexpr size_t kReadSize = 64 * 1024;

}  // namespace

// Every connection has one for its whole life, idle or not: kept small. libuv's handle's `data`
// field points back to it.
struct TcpConnection::Handle {
  uv_tcp_t tcp;  // the connect and shutdown requests are allocated only while in flight
  Buffer input;
  // Bytes written this turn, sent together at its end; from the dispatcher, and only then.
  std::unique_ptr<std::string> outbox;
  // Bytes handed to libuv and not yet written: a producer pauses past the high watermark, so
  // this stays far below 4 GiB.
  uint32_t pending_write = 0;
  bool flush_scheduled : 1;
  bool above_high : 1;
  bool connected : 1;
  bool closing : 1;
  bool close_after_writes : 1;
  bool budget_waiting : 1;  // reported blocked by the budget: OnWritable is owed
  // Until close_after_writes, the budget the queue is charged to; from then on, the hook run
  // once the socket is closed. Never both, so they share the space.
  union Tail {
    struct Account {
      BufferBudget* budget;  // null: none
      uint32_t charged;      // what it holds of the queue (outbox and pending_write)
    } account;
    CloseHook on_closed;
  } tail = {{nullptr, 0}};
  TcpConnection::Callbacks* callbacks_ = nullptr;  // null once the owner let go

  Handle()
      : tcp{},
        flush_scheduled(false),
        above_high(false),
        connected(false),
        closing(false),
        close_after_writes(false),
        budget_waiting(false) {
    tcp.data = this;  // libuv leaves it alone
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  static Handle* Of(void* uv_handle) {
    return static_cast<Handle*>(static_cast<uv_handle_t*>(uv_handle)->data);
  }
  // Null once the owner let go.
  TcpConnection::Callbacks* callbacks() const { return callbacks_; }
  void set_callbacks(TcpConnection::Callbacks* callbacks) { callbacks_ = callbacks; }
  Dispatcher* dispatcher() const { return static_cast<Dispatcher*>(tcp.loop->data); }
  size_t outbox_size() const { return outbox != nullptr ? outbox->size() : 0; }
  // Hands the outbox back to the dispatcher, returning what it held.
  std::string TakeOutboxBytes() {
    if (outbox == nullptr) return std::string();
    std::string bytes = std::move(*outbox);
    dispatcher()->ReturnOutbox(std::move(outbox));
    return bytes;
  }

  // The budget the queue is charged to; null for none, and once closing after writes.
  BufferBudget* budget() const { return close_after_writes ? nullptr : tail.account.budget; }

  // Charges the budget with what the queue holds now.
  void SyncBudget() {
    BufferBudget* to = budget();
    if (to == nullptr) return;
    size_t held = pending_write + outbox_size();
    to->Recharge(tail.account.charged, held);
    tail.account.charged = static_cast<uint32_t>(held);
  }

  void DetachBudget() {
    BufferBudget* from = budget();
    if (from == nullptr) return;
    from->Release(tail.account.charged);
    from->Forget(this);
    tail.account = {nullptr, 0};
    budget_waiting = false;
  }

  // After the queue shrank: charges the budget, and tells the owner it may write again if it
  // was told otherwise (by its own queue, or by the budget while this queue held more than the
  // budget's floor).
  void AfterShrink() {
    SyncBudget();
    if (closing || close_after_writes) return;
    bool writable = false;
    if (above_high && pending_write <= kLowWatermark) {
      above_high = false;
      writable = true;
    }
    if (budget_waiting && !above_high && pending_write + outbox_size() <= BufferBudget::kFloor) {
      budget_waiting = false;
      budget()->Forget(this);
      writable = true;
    }
    if (writable && callbacks() != nullptr) callbacks()->OnWritable();
  }

  // The budget has room again (a BufferBudget::Waiter).
  static void OnBudgetRoom(void* arg) {
    auto* h = static_cast<Handle*>(arg);
    h->budget_waiting = false;
    if (h->closing || h->close_after_writes || h->above_high) return;
    if (h->callbacks() != nullptr) h->callbacks()->OnWritable();
  }

  void Close() {
    if (closing) return;
    closing = true;
    DetachBudget();
    set_callbacks(nullptr);
    if (flush_scheduled) {
      dispatcher()->CancelCallAfterIo(this);
      flush_scheduled = false;
    }
    TakeOutboxBytes();
    if (close_after_writes) dispatcher()->RemoveLingering(this);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), [](uv_handle_t* h) { delete Of(h); });
    if (close_after_writes) {
      CloseHook hook = tail.on_closed;
      tail.on_closed = {};
      hook.Run();
    }
  }

  // Called once the write queue is empty, when the owner asked to close after writing.
  void ShutdownAndClose() {
    auto* request = new uv_shutdown_t;
    request->data = this;
    if (uv_shutdown(request, reinterpret_cast<uv_stream_t*>(&tcp), [](uv_shutdown_t* req, int) {
          auto* handle = static_cast<Handle*>(req->data);
          delete req;
          handle->Close();
        }) != 0) {
      delete request;
      Close();
    }
  }

  void Fail(absl::string_view error) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
    if (close_after_writes) {
      Close();
      return;
    }
    if (callbacks() != nullptr) callbacks()->OnRemoteClose(error);
  }
};

namespace {

struct WriteRequest {
  uv_write_t req;
  std::string data;
};

// The family and bytes of the address in `addr`.
void CopyAddress(const sockaddr_storage& addr, unsigned char* family,
                 std::array<unsigned char, 16>* bytes) {
  if (addr.ss_family == AF_INET) {
    *family = AF_INET;
    std::memcpy(bytes->data(), &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, 4);
  } else if (addr.ss_family == AF_INET6) {
    *family = AF_INET6;
    std::memcpy(bytes->data(), &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, 16);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpConnection>> TcpConnection::Connect(Dispatcher& dispatcher,
                                                                      const std::string& ip,
                                                                      uint16_t port,
                                                                      Callbacks* callbacks) {
  sockaddr_storage addr{};
  if (uv_ip4_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("not an IP address: ", ip));
  }
  auto* handle = new Handle();
  uv_tcp_init(static_cast<uv_loop_t*>(dispatcher.raw_loop()), &handle->tcp);
  handle->set_callbacks(callbacks);
  auto* request = new uv_connect_t;
  request->data = handle;
  std::unique_ptr<TcpConnection> connection(new TcpConnection(handle));
  CopyAddress(addr, &connection->peer_family_, &connection->peer_address_);
  int rc = uv_tcp_connect(
      request, &handle->tcp, reinterpret_cast<sockaddr*>(&addr), [](uv_connect_t* req, int status) {
        auto* h = static_cast<Handle*>(req->data);
        delete req;  // libuv calls this even when the handle closed first (ECANCELED)
        if (h->closing) return;
        if (status == 0) {
          h->connected = true;
          uv_tcp_nodelay(&h->tcp, 1);
        }
        if (h->callbacks() != nullptr) {
          h->callbacks()->OnConnect(status == 0 ? absl::OkStatus()
                                                : absl::UnavailableError(uv_strerror(status)));
        }
      });
  if (rc != 0) {
    delete request;
    return absl::UnavailableError(uv_strerror(rc));
  }
  return connection;
}

TcpConnection::~TcpConnection() {
  if (handle_ != nullptr) handle_->Close();
}

void TcpConnection::Close() {
  if (handle_ == nullptr) return;
  handle_->Close();
  handle_ = nullptr;
}

void TcpConnection::SetCallbacks(Callbacks* callbacks) { handle_->set_callbacks(callbacks); }

bool TcpConnection::connected() const { return handle_->connected && !handle_->closing; }

void TcpConnection::SetProxiedPeer(int family, const unsigned char* address, uint16_t local_port) {
  peer_address_.fill(0);
  std::memcpy(peer_address_.data(), address, family == AF_INET ? 4 : 16);
  peer_family_ = static_cast<unsigned char>(family);
  local_port_ = local_port;
}

std::string TcpConnection::peer_ip() const {
  if (peer_family_ == 0) return "";
  if (peer_family_ == AF_INET) {
    // Asked for on every request (X-Forwarded-For): written out here, not by inet_ntop's printf.
    std::string text;
    for (int i = 0; i < 4; ++i) {
      if (i > 0) text += '.';
      unsigned value = peer_address_[i];
      if (value >= 100) text += static_cast<char>('0' + value / 100);
      if (value >= 10) text += static_cast<char>('0' + value / 10 % 10);
      text += static_cast<char>('0' + value % 10);
    }
    return text;
  }
  char text[INET6_ADDRSTRLEN] = {0};
  inet_ntop(peer_family_, peer_address_.data(), text, sizeof(text));
  return text;
}

Buffer& TcpConnection::input() { return handle_->input; }
const Buffer& TcpConnection::input() const { return handle_->input; }

size_t TcpConnection::pending_write_bytes() const {
  return handle_->pending_write + handle_->outbox_size();
}

void TcpConnection::StartReading() {
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&handle_->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        Handle* handle = Handle::Of(h);
        buf->base = handle->input.Reserve(kReadSize);
        buf->len = kReadSize;
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
        Handle* handle = Handle::Of(stream);
        if (nread > 0) {
          handle->input.Commit(static_cast<size_t>(nread));
          handle->dispatcher()->NoteRead();
          if (handle->callbacks() != nullptr) handle->callbacks()->OnData(handle->input);
        } else if (nread == UV_EOF) {
          handle->Fail("");
        } else if (nread < 0) {
          handle->Fail(uv_strerror(static_cast<int>(nread)));
        }
      });
}

bool TcpConnection::WriteBlocked() const {
  size_t held = pending_write_bytes();
  if (held >= kHighWatermark) return true;
  Handle* h = handle_;
  BufferBudget* budget = h->budget();
  if (budget == nullptr || !budget->Blocks(held)) return false;
  // The caller stops writing now and waits for OnWritable: owed once the budget has room, or
  // once this queue is down to the budget's floor.
  if (!h->budget_waiting) {
    h->budget_waiting = true;
    budget->Wait({&Handle::OnBudgetRoom, h});
  }
  return true;
}

void TcpConnection::SetBudget(BufferBudget* budget) {
  Handle* h = handle_;
  if (h == nullptr || h->budget() == budget) return;
  h->DetachBudget();
  h->tail.account = {budget, 0};
  h->SyncBudget();
}

void TcpConnection::StopReading() { uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_->tcp)); }

void TcpConnection::AcknowledgeNow() {
#ifdef TCP_QUICKACK
  uv_os_fd_t fd;
  if (handle_->closing ||
      uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_->tcp), &fd) != 0) {
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
}

void TcpConnection::Write(std::string data) {
  Handle* handle = handle_;
  if (handle->closing || data.empty()) return;
  if (handle->outbox == nullptr) {
    handle->outbox = handle->dispatcher()->TakeOutbox();
    *handle->outbox = std::move(data);
  } else {
    handle->outbox->append(data);
  }
  ScheduleFlush(handle);
}

void TcpConnection::WriteCopy(absl::string_view data) {
  Handle* handle = handle_;
  if (handle->closing || data.empty()) return;
  if (handle->outbox == nullptr) handle->outbox = handle->dispatcher()->TakeOutbox();
  handle->outbox->append(data.data(), data.size());
  ScheduleFlush(handle);
}

void TcpConnection::ScheduleFlush(Handle* handle) {
  if (handle->pending_write + handle->outbox_size() >= kHighWatermark) handle->above_high = true;
  handle->SyncBudget();
  if (!handle->flush_scheduled) {
    handle->flush_scheduled = true;
    handle->dispatcher()->CallAfterIo(handle, [](void* key) {
      auto* h = static_cast<Handle*>(key);
      h->flush_scheduled = false;
      WriteNow(h, h->TakeOutboxBytes());
      // The socket may have taken it all at once: then no write callback will say so.
      h->AfterShrink();
    });
  }
}

void TcpConnection::WriteNow(Handle* handle, std::string data) {
  if (handle->closing || data.empty()) return;
  size_t offset = 0;
  if (handle->pending_write == 0) {
    uv_buf_t buf = uv_buf_init(data.data(), static_cast<unsigned int>(data.size()));
    int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&handle->tcp), &buf, 1);
    if (written == static_cast<int>(data.size())) return;
    if (written > 0) offset = static_cast<size_t>(written);
  }
  auto* request = new WriteRequest();
  request->data = offset == 0 ? std::move(data) : data.substr(offset);
  request->req.data = handle;
  handle->pending_write += static_cast<uint32_t>(request->data.size());
  uv_buf_t buf = uv_buf_init(request->data.data(), static_cast<unsigned int>(request->data.size()));
  int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&handle->tcp), &buf, 1,
                    [](uv_write_t* req, int status) {
                      std::unique_ptr<WriteRequest> done(reinterpret_cast<WriteRequest*>(req));
                      auto* h = static_cast<Handle*>(req->data);
                      h->pending_write -= static_cast<uint32_t>(done->data.size());
                      if (h->closing) return;
                      if (status != 0) {
                        h->Fail(uv_strerror(status));
                        return;
                      }
                      if (h->close_after_writes) {
                        if (h->pending_write == 0) h->ShutdownAndClose();
                        return;
                      }
                      h->AfterShrink();
                    });
  if (rc != 0) {
    handle->pending_write -= static_cast<uint32_t>(request->data.size());
    delete request;
    LOG_DEBUG("write failed: ", uv_strerror(rc));
    return;
  }
  if (handle->pending_write >= kHighWatermark) handle->above_high = true;
}

void TcpConnection::CloseAfterWrites(uint64_t linger_ms, CloseHook on_closed) {
  Handle* handle = handle_;
  handle_ = nullptr;
  handle->set_callbacks(nullptr);
  handle->DetachBudget();  // its owner, and the budget, may go before the lingering socket
  if (handle->closing) {
    on_closed.Run();
    return;
  }
  if (handle->flush_scheduled) {
    handle->dispatcher()->CancelCallAfterIo(handle);
    handle->flush_scheduled = false;
    WriteNow(handle, handle->TakeOutboxBytes());
  }
  handle->close_after_writes = true;  // from here on, the tail holds the hook
  handle->tail.on_closed = on_closed;
  handle->dispatcher()->AddLingering(handle, linger_ms, [handle] { handle->Close(); });
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle->tcp));
  if (handle->pending_write == 0) handle->ShutdownAndClose();
}

struct TcpListener::Handle {
  uv_tcp_t tcp;
  Dispatcher* dispatcher;
  AcceptFn on_accept;
  uint16_t port = 0;  // the port it listens on
};

absl::StatusOr<std::unique_ptr<TcpListener>> TcpListener::Create(Dispatcher& dispatcher, int fd,
                                                                 AcceptFn on_accept) {
  auto* handle = new Handle{{}, &dispatcher, std::move(on_accept), 0};
  uv_tcp_init(static_cast<uv_loop_t*>(dispatcher.raw_loop()), &handle->tcp);
  handle->tcp.data = handle;
  std::unique_ptr<TcpListener> listener(new TcpListener(handle));
  if (int rc = uv_tcp_open(&handle->tcp, fd); rc != 0) {
    return absl::InternalError(absl::StrCat("uv_tcp_open: ", uv_strerror(rc)));
  }
  sockaddr_storage bound{};
  int bound_len = sizeof(bound);
  if (uv_tcp_getsockname(&handle->tcp, reinterpret_cast<sockaddr*>(&bound), &bound_len) == 0) {
    handle->port =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  int rc = uv_listen(
      reinterpret_cast<uv_stream_t*>(&handle->tcp), 1024, [](uv_stream_t* server, int status) {
        if (status != 0) return;
        auto* h = static_cast<Handle*>(server->data);
        auto* conn = new TcpConnection::Handle();
        uv_tcp_init(static_cast<uv_loop_t*>(h->dispatcher->raw_loop()), &conn->tcp);
        std::unique_ptr<TcpConnection> connection(new TcpConnection(conn));
        if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0) {
          return;  // the destructor closes the handle
        }
        conn->connected = true;
        uv_tcp_nodelay(&conn->tcp, 1);
        sockaddr_storage peer{};
        int peer_length = sizeof(peer);
        if (uv_tcp_getpeername(&conn->tcp, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0) {
          CopyAddress(peer, &connection->peer_family_, &connection->peer_address_);
        }
        connection->local_port_ = h->port;
        h->on_accept(std::move(connection));
      });
  if (rc != 0) return absl::InternalError(absl::StrCat("uv_listen: ", uv_strerror(rc)));
  return listener;
}

TcpListener::~TcpListener() {
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->tcp),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

}  // namespace gatehouse::dataplane::event
