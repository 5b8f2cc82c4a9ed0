// The control plane's command line (docs/design.md, "Command lines"): the flags, their defaults and
// the checks of their values. A value that fails a check ends the process at start with one line.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "common/grpc_tls.h"
#include "common/net_address.h"
#include "controlplane/translate/options.h"

namespace gatehouse::controlplane::server {

inline constexpr absl::string_view kProgram = "gatehouse-controlplane";

// Where objects come from: --source=kubernetes or --source=file:DIR.
struct SourceSpec {
  enum class Kind { kKubernetes, kFile };
  Kind kind = Kind::kFile;
  std::string dir;  // for kFile
};

struct ControlPlaneFlags {
  std::optional<SourceSpec> source;
  std::string source_text;  // as given, for status
  std::string ingress_class = std::string(translate::kDefaultIngressClass);
  std::string controller_name = std::string(translate::kDefaultController);
  std::string watch_namespace;
  std::string kubeconfig;  // --source=kubernetes: empty means the pod's own service account
  std::string election_id = "gatehouse-controlplane";  // the Lease's name
  std::string election_namespace;                      // empty: the pod's namespace, else "default"
  std::string hsts = "max-age=31536000; includeSubDomains";
  translate::HostOwnership host_ownership = translate::HostOwnership::kShared;
  bool enable_ssl_passthrough = false;
  std::vector<std::string> allowlist_source_range;
  std::vector<std::string> auth_service_namespaces;
  std::vector<std::string> denylist_source_range;
  uint32_t limit_req_status = 503;
  uint32_t limit_conn_status = 503;
  std::optional<gatehouse::controlplane::objects::NamespacedName> default_tls_secret;
  HostPort xds_listen{"0.0.0.0", 18000};
  HostPort admin_listen{"127.0.0.1", 19000};
  HostPort health_listen{"0.0.0.0", 19100};
  std::string publish_service;  // NS/NAME
  std::string publish_address;  // an IP literal
  std::optional<translate::BackendRef> default_backend;
  std::string log_level = "info";
  // Coalescing of bursts: a rebuild waits for `debounce` of quiet, never more than
  // `debounce_max` after the first change it covers.
  absl::Duration debounce = absl::Milliseconds(50);
  absl::Duration debounce_max = absl::Milliseconds(500);
  TlsFiles xds_tls;  // mutual TLS on the config stream when set
  // Or: mutual TLS with certificates kept in (and, the first time, made into) this Secret,
  // the server certificate naming `xds_tls_server_names`.
  std::optional<objects::NamespacedName> xds_tls_secret;
  std::vector<std::string> xds_tls_server_names;
};

// Parses "kubernetes" or "file:DIR".
absl::StatusOr<SourceSpec> ParseSourceSpec(absl::string_view text);

// Declares every control-plane flag on `flags`, storing values into `out`.
void RegisterControlPlaneFlags(FlagSet& flags, ControlPlaneFlags* out);

}  // namespace gatehouse::controlplane::server
