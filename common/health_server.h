// The plain-HTTP health endpoint both processes serve on --health-listen:
//   /healthz  200 while the process runs
//   /readyz   200 once `ready()` says so, else 503
//   /metrics  the metrics registry in the Prometheus text format
//
// It runs on a thread of its own and answers one short request per connection, so a stuck
// worker or config stream never hides behind it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "common/net_address.h"

namespace gatehouse {

class HealthServer {
 public:
  using ReadyFn = std::function<bool()>;

  // Binds `address` (port 0 picks a free port) and starts serving.
  static absl::StatusOr<std::unique_ptr<HealthServer>> Create(const HostPort& address,
                                                              ReadyFn ready,
                                                              const MetricsRegistry* metrics);
  ~HealthServer();

  uint16_t port() const { return port_; }

 private:
  HealthServer(int listen_fd, uint16_t port, ReadyFn ready, const MetricsRegistry* metrics);
  void Run();
  void Serve(int fd);

  int listen_fd_;
  int wake_fds_[2] = {-1, -1};
  uint16_t port_;
  ReadyFn ready_;
  const MetricsRegistry* metrics_;
  std::thread thread_;
};

}  // namespace gatehouse
