// gatehouse-dataplane: proxies HTTP traffic to pod endpoints with the config a control plane
// streams to it.
//
// The main thread parses flags, binds one SO_REUSEPORT listener per worker, starts the workers,
// the health endpoint, the admin API and the config client, then waits for a signal: SIGTERM
// drains (readiness fails, responses say Connection: close, then the listeners close and the
// requests in flight finish) before exiting; SIGINT, or a second signal, exits at once.

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/flags.h"
#include "common/grpc_server.h"
#include "common/grpc_tls.h"
#include "common/health_server.h"
#include "common/library_logs.h"
#include "common/listen_socket.h"
#include "common/log.h"
#include "common/net_address.h"
#include "common/process.h"
#include "dataplane/admin/admin_service.h"
#include "dataplane/config/config_client.h"
#include "dataplane/server/config_reaper.h"
#include "dataplane/server/dataplane_flags.h"
#include "dataplane/server/worker.h"
#include "dataplane/tls/tls_context.h"

namespace gatehouse::dataplane::server {
namespace {

// Raises the limit on open files as servers do: to 1,048,576 (or the kernel's nr_open) where
// the process may raise its hard limit, else the soft limit to the hard one. Returns the limit.
int64_t RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  rlim_t target = 1 << 20;
  if (std::FILE* nr_open = std::fopen("/proc/sys/fs/nr_open", "re")) {
    unsigned long long kernel_max = 0;
    if (std::fscanf(nr_open, "%llu", &kernel_max) == 1 && kernel_max > 0) {
      target = std::min<rlim_t>(target, kernel_max);
    }
    std::fclose(nr_open);
  }
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < target) {
    rlimit raised{target, target};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;  // allowed as root
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? int64_t{1} << 20 : static_cast<int64_t>(limit.rlim_cur);
}

// SIGTERM's graceful exit: see the top of this file. Returns early on a second signal.
void Drain(const DataplaneFlags& options, std::vector<std::unique_ptr<Worker>>& workers) {
  LOG_INFO("draining: /readyz answers 503 and responses say Connection: close; listeners close in ",
           absl::FormatDuration(options.drain_delay));
  for (auto& worker : workers) worker->BeginDrain();
  if (WaitForShutdownSignal(options.drain_delay) != 0) return;
  for (auto& worker : workers) worker->StopAccepting();
  const absl::Time deadline = absl::Now() + options.drain_timeout;
  auto open = [&workers] {
    int64_t total = 0;
    for (auto& worker : workers) total += worker->open_connections();
    return total;
  };
  while (open() > 0 && absl::Now() < deadline) {
    if (WaitForShutdownSignal(absl::Milliseconds(20)) != 0) return;
  }
  if (int64_t left = open(); left > 0) {
    LOG_WARNING("drain timeout (", absl::FormatDuration(options.drain_timeout), "): closing ", left,
                " connections with requests still in progress");
  } else {
    LOG_INFO("drained: every connection closed");
  }
}

[[noreturn]] void Fail(absl::string_view message) {
  std::fprintf(stderr, "gatehouse-dataplane: %s\n", std::string(message).c_str());
  std::exit(1);
}

std::string DefaultNodeId() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid());
}

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  RouteLibraryLogs();
  DataplaneFlags options;
  FlagSet flags("gatehouse-dataplane",
                "gatehouse-dataplane --xds-server=HOST:PORT[,HOST:PORT] [flags]");
  RegisterDataplaneFlags(flags, &options);
  flags.ParseOrExit(argc, argv);
  if (!flags.positionals().empty()) {
    std::fprintf(stderr, "gatehouse-dataplane: unexpected argument \"%s\" (see --help)\n",
                 flags.positionals()[0].c_str());
    return 2;
  }
  if (options.xds_servers.empty()) {
    std::fprintf(stderr, "gatehouse-dataplane: --xds-server is required (see --help)\n");
    return 2;
  }
  if (options.node_id.empty()) options.node_id = DefaultNodeId();
  std::shared_ptr<grpc::ChannelCredentials> xds_credentials;
  if (absl::Status tls = options.xds_tls.CheckComplete(); !tls.ok()) {
    std::fprintf(stderr, "gatehouse-dataplane: %s\n", std::string(tls.message()).c_str());
    return 2;
  }
  if (!options.xds_tls.server_name.empty() && !options.xds_tls.enabled()) {
    std::fprintf(stderr,
                 "gatehouse-dataplane: --xds-tls-server-name needs --xds-tls-cert, -key and -ca\n");
    return 2;
  }
  if (options.xds_tls.enabled()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        MutualTlsChannelCredentials(options.xds_tls);
    if (!credentials.ok()) {
      std::fprintf(stderr, "gatehouse-dataplane: %s\n",
                   std::string(credentials.status().message()).c_str());
      return 2;
    }
    xds_credentials = *std::move(credentials);
  }
  if (options.workers == 0) {
    options.workers = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  }
  // libuv's thread pool, shared by every worker, gets room for each worker's two pieces of
  // blocking work at once (event::WorkQueue): one worker's never wait behind another's. Read
  // once, at the pool's first use; an operator's own setting wins.
  setenv("UV_THREADPOOL_SIZE", absl::StrCat(std::max(4, 2 * options.workers)).c_str(),
         /*overwrite=*/0);

  std::unique_ptr<proxy::AccessLog> access_log;
  if (!options.access_log.empty()) {
    absl::StatusOr<std::unique_ptr<proxy::AccessLog>> opened =
        proxy::AccessLog::Open(options.access_log);
    if (!opened.ok()) Fail(absl::StrCat("--access-log: ", opened.status().message()));
    access_log = *std::move(opened);
  }
  std::unique_ptr<tls::TicketKeys> ticket_keys;
  if (options.ticket_key_rotation > absl::ZeroDuration()) {
    ticket_keys = std::make_unique<tls::TicketKeys>(options.ticket_key_rotation);
    options.tls.ticket_keys = ticket_keys.get();
  }
  if (absl::Status valid = options.tls.Validate(); !valid.ok()) {
    Fail(absl::StrCat("--tls-ciphers: ", valid.message()));
  }
  // Clients of the HTTPS listener that name no host with a certificate get this one.
  std::shared_ptr<const tls::ServerContext> default_tls;
  if (options.https_listen.has_value()) {
    absl::StatusOr<std::shared_ptr<const tls::ServerContext>> made =
        tls::ServerContext::CreateSelfSigned("gatehouse default certificate", options.tls);
    if (!made.ok()) Fail(absl::StrCat("--https-listen: ", made.status().message()));
    default_tls = *std::move(made);
  }
  int64_t file_limit = RaiseFileLimit();
  proxy::ConnectionLimit connection_limit(options.max_connections > 0
                                              ? options.max_connections
                                              : std::max<int64_t>(64, (file_limit - 256) / 2));

  // One listening socket per worker on the same port; the kernel spreads connections.
  std::vector<std::unique_ptr<Worker>> workers;
  HostPort bind_address = options.http_listen;
  for (int i = 0; i < options.workers; ++i) {
    absl::StatusOr<int> fd = ListenTcp(bind_address, /*reuse_port=*/true);
    if (!fd.ok()) Fail(absl::StrCat("--http-listen: ", fd.status().message()));
    if (i == 0) bind_address.port = BoundPort(*fd);
    Worker::Listeners listeners{*fd, -1, default_tls.get()};
    if (options.https_listen.has_value()) {
      absl::StatusOr<int> https_fd = ListenTcp(*options.https_listen, /*reuse_port=*/true);
      if (!https_fd.ok()) Fail(absl::StrCat("--https-listen: ", https_fd.status().message()));
      if (i == 0) options.https_listen->port = BoundPort(*https_fd);
      listeners.https_fd = *https_fd;
    }
    absl::StatusOr<std::unique_ptr<Worker>> worker =
        Worker::Create(i, listeners, options.proxy, &connection_limit, access_log.get());
    if (!worker.ok()) Fail(worker.status().message());
    workers.push_back(*std::move(worker));
  }

  config::ConfigClient client(
      options.xds_servers, options.node_id,
      config::ConfigClient::Security{xds_credentials, options.xds_tls.server_name},
      [&workers](std::shared_ptr<const config::DataplaneConfig> config) {
        // Whichever worker lets go of it last, the reaper's thread frees it.
        std::shared_ptr<const config::DataplaneConfig> shared =
            ConfigReaper::Get().Adopt(std::move(config));
        for (auto& worker : workers) worker->ApplyConfig(shared);
      },
      &options.tls);
  std::atomic<bool> draining{false};
  auto ready = [&client, &draining] {
    if (draining.load()) return false;
    std::shared_ptr<const config::DataplaneConfig> config = client.GetSnapshot().config;
    return config != nullptr && config->complete();
  };
  MetricsRegistry::Global().AddCallbackGauge("gatehouse_dataplane_ready",
                                             "1 once a first config is applied.",
                                             [ready] { return ready() ? 1.0 : 0.0; });
  absl::StatusOr<std::unique_ptr<HealthServer>> health =
      HealthServer::Create(options.health_listen, ready, &MetricsRegistry::Global());
  if (!health.ok()) Fail(absl::StrCat("--health-listen: ", health.status().message()));

  admin::DataplaneAdminService admin_service(options.node_id,
                                             [&client] { return client.GetSnapshot(); });
  absl::StatusOr<RunningGrpcServer> admin = StartGrpcServer(options.admin_listen, {&admin_service});
  if (!admin.ok()) Fail(absl::StrCat("--admin-listen: ", admin.status().message()));

  for (auto& worker : workers) worker->Start();
  client.Start();
  LOG_INFO("gatehouse-dataplane ", kBuildVersion, " node ", options.node_id, ": http on ",
           bind_address.ToString(),
           options.https_listen.has_value()
               ? absl::StrCat(", https on ", options.https_listen->ToString())
               : std::string(),
           " (", options.workers, " workers), admin on ",
           HostPort{options.admin_listen.host, static_cast<uint16_t>(admin->port)}.ToString(),
           ", health on ", HostPort{options.health_listen.host, (*health)->port()}.ToString(),
           "; at most ", connection_limit.max(), " client connections");

  int signal = WaitForShutdownSignal();
  if (signal == SIGTERM) {
    draining = true;
    Drain(options, workers);
  }
  LOG_INFO("signal ", signal, ": shutting down");
  client.Stop();
  admin->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  for (auto& worker : workers) worker->Stop();
  return 0;
}

}  // namespace
}  // namespace gatehouse::dataplane::server

int main(int argc, char** argv) { return gatehouse::dataplane::server::Main(argc, argv); }
