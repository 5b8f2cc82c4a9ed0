// The plain-HTTP health endpoint both processes serve on --health-listen:
//   /healthz  200 while the process runs
//   /readyz   200 once `ready()` says so, else 503
//   /metrics  the metrics registry in the Prometheus text format
//
// It runs on a thread of its own, so a stuck worker or config stream never hides behind it, and
// answers one short request per connection. Clients are served concurrently from one poll loop:
// each connection has a deadline for its whole exchange, at most kMaxClients are open, and a
// new one past that closes the oldest. Clients that connect and say nothing cannot keep a
// liveness probe from its answer.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "common/net_address.h"

namespace gatehouse {

class HealthServer {
 public:
  using ReadyFn = std::function<bool()>;

  // Connections served at once; a new one beyond this closes the oldest.
  static constexpr size_t kMaxClients = 64;
  // From accept until the answer is written: a slow client is closed after this.
  static constexpr std::chrono::milliseconds kExchangeTimeout{2000};
  // The most a request (line and headers) may be.
  static constexpr size_t kMaxRequestBytes = 16 * 1024;

  // Binds `address` (port 0 picks a free port) and starts serving.
  static absl::StatusOr<std::unique_ptr<HealthServer>> Create(const HostPort& address,
                                                              ReadyFn ready,
                                                              const MetricsRegistry* metrics);
  ~HealthServer();

  uint16_t port() const { return port_; }

 private:
  struct Client;

  HealthServer(int listen_fd, uint16_t port, ReadyFn ready, const MetricsRegistry* metrics);
  void Run();
  void Accept(std::vector<std::unique_ptr<Client>>& clients);
  // Reads what arrived; once the request is whole, the client has its answer to write. False
  // when the client is finished (bad request, closed, too large).
  bool OnReadable(Client& client);
  // Writes what the client can take; false once all is written or the client is gone.
  bool OnWritable(Client& client);
  std::string Answer(const std::string& url);

  int listen_fd_;
  int wake_fds_[2] = {-1, -1};
  uint16_t port_;
  ReadyFn ready_;
  const MetricsRegistry* metrics_;
  std::thread thread_;
};

}  // namespace gatehouse
