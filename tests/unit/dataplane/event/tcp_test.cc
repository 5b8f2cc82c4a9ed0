#include "dataplane/event/tcp.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/listen_socket.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"

namespace gatehouse::dataplane::event {
namespace {

// Records what a connection reports, for the test thread to wait on.
class Recorder : public TcpConnection::Callbacks {
 public:
  void OnData(Buffer& input) override {
    absl::MutexLock lock(&mu_);
    data_.append(input.data(), input.size());
    input.Consume(input.size());
  }
  void OnRemoteClose(absl::string_view error) override {
    absl::MutexLock lock(&mu_);
    close_error_ = std::string(error);
    closed_.Notify();
  }
  void OnWritable() override {
    ++writable_count_;
    if (!writable_.HasBeenNotified()) writable_.Notify();
  }
  void OnConnect(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    connect_status_ = status;
    connected_.Notify();
  }

  std::string data() {
    absl::MutexLock lock(&mu_);
    return data_;
  }
  std::string close_error() {
    absl::MutexLock lock(&mu_);
    return close_error_;
  }
  absl::Status connect_status() {
    absl::MutexLock lock(&mu_);
    return connect_status_;
  }
  absl::Notification closed_, writable_, connected_;
  std::atomic<int> writable_count_{0};

 private:
  absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
  std::string close_error_ ABSL_GUARDED_BY(mu_);
  absl::Status connect_status_ ABSL_GUARDED_BY(mu_);
};

// A dispatcher on a thread of its own, listening on 127.0.0.1; each test connects a plain
// blocking client socket and works with the connection the listener accepted.
class TcpConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<int> fd = ListenTcp(HostPort{"127.0.0.1", 0}, /*reuse_port=*/false);
    ASSERT_TRUE(fd.ok()) << fd.status();
    port_ = BoundPort(*fd);
    RunOnLoop([this, fd = *fd] {
      listener_ = *TcpListener::Create(dispatcher_, fd, [this](std::unique_ptr<TcpConnection> c) {
        accepted_ = std::move(c);
        accepted_->SetCallbacks(&server_);
        accepted_->StartReading();
        accepted_notification_.Notify();
      });
    });
  }

  void TearDown() override {
    if (client_ >= 0) close(client_);
    loop_.Stop([this] {
      accepted_.reset();
      outgoing_.reset();
      listener_.reset();
    });
  }

  void RunOnLoop(std::function<void()> fn) { loop_.RunOnLoop(std::move(fn)); }

  // Connects the client socket, with a small receive buffer when asked, and waits for the
  // listener to accept it.
  void ConnectClient(int receive_buffer = 0) {
    client_ = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(client_, 0);
    if (receive_buffer > 0) {
      setsockopt(client_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(client_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_TRUE(accepted_notification_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  }

  // Reads from the client socket until end of stream or an error; returns the byte count.
  size_t ReadClientToEnd() {
    size_t total = 0;
    char chunk[65536];
    while (true) {
      ssize_t n = read(client_, chunk, sizeof(chunk));
      if (n > 0) {
        total += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return total;
    }
  }

  // Waits up to five seconds for no closed connection to be lingering, then for the loop to
  // finish the turn that closed the last one (the count drops before that turn's close hook
  // runs, and this thread may see it in between).
  bool WaitForNoLingering() {
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (dispatcher_.lingering() != 0) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    RunOnLoop([] {});
    return true;
  }

  RunningDispatcher loop_;
  Dispatcher& dispatcher_ = loop_.dispatcher();
  uint16_t port_ = 0;
  int client_ = -1;
  std::unique_ptr<TcpListener> listener_;
  std::unique_ptr<TcpConnection> accepted_;  // loop thread only
  std::unique_ptr<TcpConnection> outgoing_;  // loop thread only
  absl::Notification accepted_notification_;
  Recorder server_;           // what the accepted connection reports
  Recorder outgoing_events_;  // what `outgoing_` reports
};

TEST_F(TcpConnectionTest, ReadsWhatThePeerSendsAndReportsItsClose) {
  ConnectClient();
  ASSERT_EQ(write(client_, "hello", 5), 5);
  shutdown(client_, SHUT_WR);
  ASSERT_TRUE(server_.closed_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(server_.data(), "hello");
  EXPECT_EQ(server_.close_error(), "");  // an orderly close, not an error
}

TEST_F(TcpConnectionTest, WritesOfOneTurnArriveInOrder) {
  ConnectClient();
  RunOnLoop([this] {
    accepted_->Write("head ");
    accepted_->WriteCopy("body ");
    accepted_->Write("tail");
  });
  char text[14] = {0};
  size_t got = 0;
  while (got < 14) {
    ssize_t n = read(client_, text + got, sizeof(text) - got);
    ASSERT_GT(n, 0);
    got += static_cast<size_t>(n);
  }
  EXPECT_EQ(std::string(text, 14), "head body tail");
}

// Counts the runs of a CloseHook.
std::atomic<int> hook_runs{0};
CloseHook CountingHook() {
  hook_runs = 0;
  return {[](void*) { ++hook_runs; }, nullptr};
}

TEST_F(TcpConnectionTest, CloseAfterWritesSendsEverythingThenEndsTheStream) {
  ConnectClient(/*receive_buffer=*/4096);
  const size_t size = 8 << 20;  // far more than the socket buffers take at once
  RunOnLoop([this, size] {
    accepted_->Write(std::string(size, 'x'));
    accepted_->CloseAfterWrites(TcpConnection::kDefaultLingerMs, CountingHook());
    accepted_.reset();  // the owner lets go; the handle lingers until the bytes are out
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(dispatcher_.lingering(), 1);
  EXPECT_EQ(hook_runs, 0);  // the socket is still open: its owner must still count it
  EXPECT_EQ(ReadClientToEnd(), size);
  EXPECT_TRUE(WaitForNoLingering());
  EXPECT_EQ(hook_runs, 1);
}

TEST_F(TcpConnectionTest, CloseAfterWritesWithNothingQueuedRunsItsHookOnce) {
  ConnectClient();
  RunOnLoop([this] {
    accepted_->CloseAfterWrites(TcpConnection::kDefaultLingerMs, CountingHook());
    accepted_.reset();
  });
  EXPECT_EQ(ReadClientToEnd(), 0u);
  EXPECT_TRUE(WaitForNoLingering());
  EXPECT_EQ(hook_runs, 1);
}

TEST_F(TcpConnectionTest, CloseAfterWritesGivesUpOnAPeerThatStopsReading) {
  ConnectClient(/*receive_buffer=*/4096);
  const size_t size = 8 << 20;
  RunOnLoop([this, size] {
    accepted_->Write(std::string(size, 'x'));
    accepted_->CloseAfterWrites(/*linger_ms=*/300, CountingHook());
    accepted_.reset();
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(dispatcher_.lingering(), 1);  // still waiting for the peer to read
  EXPECT_EQ(hook_runs, 0);
  EXPECT_TRUE(WaitForNoLingering());  // then closed without it
  EXPECT_EQ(hook_runs, 1);
  // What the kernel already held may still arrive; the rest was dropped.
  EXPECT_LT(ReadClientToEnd(), size);
}

TEST_F(TcpConnectionTest, WatermarksPauseAndResumeAWriter) {
  ConnectClient(/*receive_buffer=*/4096);
  std::atomic<bool> above_high{false};
  RunOnLoop([this, &above_high] {
    accepted_->Write(std::string(2 << 20, 'x'));
    above_high = accepted_->AboveHighWatermark();
  });
  EXPECT_TRUE(above_high);
  EXPECT_FALSE(server_.writable_.HasBeenNotified());
  std::thread reader([this] {
    size_t total = 0;
    char chunk[65536];
    while (total < (2u << 20)) {
      ssize_t n = read(client_, chunk, sizeof(chunk));
      if (n <= 0) break;
      total += static_cast<size_t>(n);
    }
  });
  EXPECT_TRUE(server_.writable_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  reader.join();
  std::atomic<size_t> pending{1};
  RunOnLoop([this, &pending] { pending = accepted_->pending_write_bytes(); });
  EXPECT_EQ(pending, 0u);
}

// Reads `bytes` from `fd`, blocking.
void ReadExactly(int fd, size_t bytes) {
  char chunk[65536];
  while (bytes > 0) {
    ssize_t n = read(fd, chunk, std::min(sizeof(chunk), bytes));
    ASSERT_GT(n, 0);
    bytes -= static_cast<size_t>(n);
  }
}

// Waits up to five seconds for `count` to reach `want`.
bool WaitForCount(const std::atomic<int>& count, int want) {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (count.load() < want) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST_F(TcpConnectionTest, AnExhaustedBudgetBlocksAQueuePastItsFloorUntilEitherDrains) {
  ConnectClient(/*receive_buffer=*/4096);
  std::unique_ptr<BufferBudget> budget;
  const size_t other = 1 << 20;  // what the connection's other buffers hold, say
  std::atomic<bool> blocked{false}, above_high{true};
  std::atomic<size_t> queued{0};
  // Writes until the socket's buffers are full and a few hundred KiB wait in the queue: past
  // the budget's floor, under the connection's own high watermark.
  auto fill = [&]() -> size_t {
    size_t written = 0;
    for (int i = 0; i < 200 && queued < 256 * 1024; ++i) {
      RunOnLoop([&] { accepted_->Write(std::string(64 << 10, 'x')); });
      written += 64 << 10;
      absl::SleepFor(absl::Milliseconds(5));
      RunOnLoop([&] { queued = accepted_->pending_write_bytes(); });
    }
    return written;
  };
  RunOnLoop([&] {
    budget = std::make_unique<BufferBudget>(dispatcher_, 1 << 20);
    accepted_->SetBudget(budget.get());
    budget->Charge(other);
  });
  size_t written = fill();
  RunOnLoop([&] {
    blocked = accepted_->WriteBlocked();
    above_high = accepted_->AboveHighWatermark();
  });
  EXPECT_TRUE(blocked) << queued;
  EXPECT_FALSE(above_high);  // the budget, not the connection's own queue
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(server_.writable_count_, 0);

  // The client reads it all: the queue is under the floor, so the writer may go on although
  // the budget is still exhausted by the others.
  ReadExactly(client_, written);
  EXPECT_TRUE(WaitForCount(server_.writable_count_, 1));
  std::atomic<size_t> used{0};
  RunOnLoop([&] { used = budget->used(); });
  EXPECT_EQ(used, other);

  // Stuck again past the floor; then the others let go of theirs: the budget's wake says so,
  // though this queue has not moved.
  queued = 0;
  fill();
  RunOnLoop([&] { blocked = accepted_->WriteBlocked(); });
  EXPECT_TRUE(blocked);
  int before = server_.writable_count_;
  RunOnLoop([&] { budget->Release(other); });
  EXPECT_TRUE(WaitForCount(server_.writable_count_, before + 1));
  RunOnLoop([&] {
    blocked = accepted_->WriteBlocked();
    accepted_.reset();  // takes its charge off
    used = budget->used();
    budget.reset();
  });
  EXPECT_FALSE(blocked);
  EXPECT_EQ(used, 0u);
}

TEST_F(TcpConnectionTest, ConnectReportsARefusedConnection) {
  // A port that was just free: bound, then closed, so nothing listens there.
  absl::StatusOr<int> fd = ListenTcp(HostPort{"127.0.0.1", 0}, /*reuse_port=*/false);
  ASSERT_TRUE(fd.ok());
  uint16_t closed_port = BoundPort(*fd);
  close(*fd);
  RunOnLoop([this, closed_port] {
    outgoing_ = *TcpConnection::Connect(dispatcher_, "127.0.0.1", closed_port, &outgoing_events_);
  });
  ASSERT_TRUE(outgoing_events_.connected_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(outgoing_events_.connect_status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(TcpConnectionTest, ConnectReachesAListener) {
  RunOnLoop([this] {
    outgoing_ = *TcpConnection::Connect(dispatcher_, "127.0.0.1", port_, &outgoing_events_);
  });
  ASSERT_TRUE(outgoing_events_.connected_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(outgoing_events_.connect_status().ok()) << outgoing_events_.connect_status();
  ASSERT_TRUE(accepted_notification_.WaitForNotificationWithTimeout(absl::Seconds(5)));
  RunOnLoop([this] { outgoing_->Write("ping"); });
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (server_.data() != "ping" && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(server_.data(), "ping");
}

}  // namespace
}  // namespace gatehouse::dataplane::event
