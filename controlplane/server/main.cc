// gatehouse-controlplane: watches Kubernetes objects (or a folder of manifests), translates them
// into config snapshots and streams them to every connected data plane.
#include <curl/curl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/flags.h"
#include "common/grpc_server.h"
#include "common/grpc_tls.h"
#include "common/health_server.h"
#include "common/library_logs.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/process.h"
#include "controlplane/admin/admin_service.h"
#include "controlplane/kube/kube_client.h"
#include "controlplane/pki/xds_tls_secret.h"
#include "controlplane/server/controlplane_flags.h"
#include "controlplane/server/rebuild_loop.h"
#include "controlplane/source/file_source.h"
#include "controlplane/source/kube_source.h"
#include "controlplane/status/leader_election.h"
#include "controlplane/status/status_writer.h"
#include "controlplane/xds/discovery_server.h"
#include "controlplane/xds/snapshot_cache.h"

namespace gatehouse::controlplane::server {
namespace {

[[noreturn]] void Die(int code, absl::string_view message) {
  std::fprintf(stderr, "%s: %s\n", std::string(kProgram).c_str(), std::string(message).c_str());
  std::exit(code);
}

// This replica's name in the leader election: the pod's name when Kubernetes gives it, else
// host and process.
std::string ReplicaIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') return pod;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid());
}

// --election-namespace, else the pod's namespace (POD_NAMESPACE, or its service account's), else
// "default".
std::string ElectionNamespace(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != '\0') return ns;
  std::ifstream file("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  std::string ns;
  if (file >> ns && !ns.empty()) return ns;
  return "default";
}

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  RouteLibraryLogs();
  absl::Time started = absl::Now();

  ControlPlaneFlags flags;
  FlagSet flag_set(std::string(kProgram),
                   "gatehouse-controlplane --source=kubernetes|file:DIR [flags]");
  RegisterControlPlaneFlags(flag_set, &flags);
  flag_set.ParseOrExit(argc, argv);
  if (!flag_set.positionals().empty()) {
    Die(2, absl::StrCat("unexpected argument \"", flag_set.positionals().front(), "\""));
  }
  if (!flags.source.has_value()) Die(2, "--source is required (--source=file:DIR)");
  if (absl::Status tls = flags.xds_tls.CheckComplete(); !tls.ok()) {
    Die(2, std::string(tls.message()));
  }
  if (flags.xds_tls_secret.has_value()) {
    if (flags.xds_tls.enabled()) {
      Die(2, "--xds-tls-secret and --xds-tls-cert/-key/-ca exclude each other");
    }
    if (flags.source->kind != SourceSpec::Kind::kKubernetes) {
      Die(2, "--xds-tls-secret needs --source=kubernetes");
    }
    if (flags.xds_tls_server_names.empty()) {
      Die(2, "--xds-tls-secret needs --xds-tls-server-names (the names data planes dial)");
    }
  } else if (!flags.xds_tls_server_names.empty()) {
    Die(2, "--xds-tls-server-names needs --xds-tls-secret");
  }
  if (!flags.publish_service.empty() && !flags.publish_address.empty()) {
    Die(2, "--publish-service and --publish-address exclude each other");
  }
  SetLogLevel(*ParseLogLevel(flags.log_level));

  if (!flags.kubeconfig.empty() && flags.source->kind != SourceSpec::Kind::kKubernetes) {
    Die(2, "--kubeconfig needs --source=kubernetes");
  }
  std::unique_ptr<source::ObjectSource> object_source;
  std::optional<kube::KubeConnection> kube_connection;
  if (flags.source->kind == SourceSpec::Kind::kKubernetes) {
    absl::StatusOr<kube::KubeConnection> connection = flags.kubeconfig.empty()
                                                          ? kube::InClusterConnection()
                                                          : kube::LoadKubeconfig(flags.kubeconfig);
    if (!connection.ok()) {
      Die(2, absl::StrCat(flags.kubeconfig.empty() ? "--source=kubernetes" : "--kubeconfig", ": ",
                          connection.status().message()));
    }
    kube_connection = *connection;
    object_source = std::make_unique<source::KubeSource>(
        source::KubeSource::Options{*std::move(connection), flags.watch_namespace});
  } else {
    absl::StatusOr<std::unique_ptr<source::FileSource>> file_source = source::FileSource::Create(
        source::FileSource::Options{flags.source->dir, flags.watch_namespace});
    if (!file_source.ok()) {
      Die(2, absl::StrCat("--source=", flags.source_text, ": ", file_source.status().message()));
    }
    object_source = *std::move(file_source);
  }

  xds::SnapshotCache cache;
  RebuildLoop::Options state_options;
  state_options.translate.controller = flags.controller_name;
  state_options.translate.ingress_class = flags.ingress_class;
  state_options.translate.default_backend = flags.default_backend;
  state_options.translate.hsts = flags.hsts;
  state_options.translate.host_ownership = flags.host_ownership;
  state_options.translate.enable_ssl_passthrough = flags.enable_ssl_passthrough;
  state_options.translate.allowlist_source_range = flags.allowlist_source_range;
  state_options.translate.auth_service_namespaces = flags.auth_service_namespaces;
  state_options.translate.denylist_source_range = flags.denylist_source_range;
  state_options.translate.limit_req_status = flags.limit_req_status;
  state_options.translate.limit_conn_status = flags.limit_conn_status;
  state_options.translate.default_tls_secret = flags.default_tls_secret;
  state_options.holdoff = flags.debounce;
  state_options.max_delay = std::max(flags.debounce, flags.debounce_max);
  RebuildLoop state(state_options, &cache);

  xds::DiscoveryServer discovery(&cache);
  admin::AdminService admin_service(
      admin::AdminService::Providers{&cache, [&state] { return state.Reports(); },
                                     [&object_source] { return object_source->Errors(); },
                                     [&discovery] { return discovery.Streams(); }},
      flags.source_text, started);

  // Listen before doing any work, so a taken port ends the process at once (the certificates
  // from a Secret come first: the port is not served without them).
  std::shared_ptr<grpc::ServerCredentials> xds_credentials;
  if (flags.xds_tls_secret.has_value()) {
    kube::KubeClient client(*kube_connection);
    absl::StatusOr<TlsPems> pems = pki::GetOrCreateXdsTlsSecret(
        client, pki::XdsTlsSecretOptions{*flags.xds_tls_secret, flags.xds_tls_server_names});
    if (!pems.ok()) Die(1, absl::StrCat("--xds-tls-secret: ", pems.status().message()));
    xds_credentials = MutualTlsServerCredentials(*pems);
  } else if (flags.xds_tls.enabled()) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MutualTlsServerCredentials(flags.xds_tls);
    if (!credentials.ok()) Die(2, std::string(credentials.status().message()));
    xds_credentials = *std::move(credentials);
  }
  absl::StatusOr<RunningGrpcServer> xds_server =
      StartGrpcServer(flags.xds_listen, {&discovery}, xds_credentials);
  if (!xds_server.ok()) {
    Die(1, absl::StrCat("--xds-listen: ", xds_server.status().message()));
  }
  absl::StatusOr<RunningGrpcServer> admin_server =
      StartGrpcServer(flags.admin_listen, {&admin_service});
  if (!admin_server.ok()) {
    Die(1, absl::StrCat("--admin-listen: ", admin_server.status().message()));
  }
  absl::StatusOr<std::unique_ptr<HealthServer>> health = HealthServer::Create(
      flags.health_listen, [&cache] { return cache.Current() != nullptr; },
      &MetricsRegistry::Global());
  if (!health.ok()) Die(1, absl::StrCat("--health-listen: ", health.status().message()));
  HostPort xds_bound{flags.xds_listen.host, static_cast<uint16_t>(xds_server->port)};
  HostPort admin_bound{flags.admin_listen.host, static_cast<uint16_t>(admin_server->port)};
  HostPort health_bound{flags.health_listen.host, (*health)->port()};
  LOG_INFO("gatehouse-controlplane ", kBuildVersion, " watching ", flags.source_text);
  if (xds_credentials != nullptr) {
    LOG_INFO("xds listening on ", xds_bound.ToString(), " (mutual TLS)");
  } else {
    LOG_WARNING("xds listening on ", xds_bound.ToString(),
                " in plain text: the config stream carries every TLS private key, and any "
                "client that reaches this port receives them (for local use only; set "
                "--xds-tls-secret or --xds-tls-cert/-key/-ca)");
  }
  LOG_INFO("admin listening on ", admin_bound.ToString());
  LOG_INFO("health listening on ", health_bound.ToString());

  state.Start();
  if (absl::Status status = object_source->Start(&state); !status.ok()) {
    Die(1, absl::StrCat("cannot start the source: ", status.message()));
  }
  // With the API server, one replica at a time writes Ingress status and Events.
  std::unique_ptr<kube::KubeClient> status_client;
  std::unique_ptr<status::LeaderElector> elector;
  std::unique_ptr<status::StatusWriter> status_writer;
  if (kube_connection.has_value()) {
    std::string identity = ReplicaIdentity();
    status_client = std::make_unique<kube::KubeClient>(*kube_connection);
    elector = std::make_unique<status::LeaderElector>(
        status_client.get(),
        status::LeaderElector::Options{ElectionNamespace(flags.election_namespace),
                                       flags.election_id, identity});
    status_writer = std::make_unique<status::StatusWriter>(
        status_client.get(), elector.get(),
        status::StatusWriter::Options{flags.publish_service, flags.publish_address, identity},
        [&state] { return state.Reports(); });
    elector->Start();
    status_writer->Start();
  }

  int signal = WaitForShutdownSignal();
  LOG_INFO("signal ", signal, ": shutting down");
  if (status_writer != nullptr) status_writer->Stop();
  if (elector != nullptr) elector->Stop();  // a leader hands the Lease back
  object_source->Stop();
  state.Stop();
  discovery.Shutdown();
  xds_server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  admin_server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  health->reset();
  LOG_INFO("stopped");
  return 0;
}

}  // namespace
}  // namespace gatehouse::controlplane::server

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread starts, as libcurl requires
  return gatehouse::controlplane::server::Main(argc, argv);
}
