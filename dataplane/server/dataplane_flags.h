// The data plane's command line: the flags, their defaults and their checks. A bad value ends
// the process at start with one clear line (FlagSet::ParseOrExit).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/flags.h"
#include "common/grpc_tls.h"
#include "common/net_address.h"
#include "dataplane/proxy/proxy_settings.h"
#include "dataplane/tls/tls_context.h"

namespace gatehouse::dataplane::server {

struct DataplaneFlags {
  std::vector<HostPort> xds_servers;
  std::string node_id;
  int workers = 0;
  HostPort http_listen{"0.0.0.0", 8080};
  std::optional<HostPort> https_listen;  // none: no HTTPS listener
  HostPort admin_listen{"127.0.0.1", 19001};
  HostPort health_listen{"0.0.0.0", 19101};
  TlsFiles xds_tls;  // mutual TLS on the config stream when set
  proxy::ProxySettings proxy;
  int max_connections = 0;  // 0: derived from the file descriptor limit
  absl::Duration drain_delay = absl::Seconds(5);
  absl::Duration drain_timeout = absl::Seconds(30);
  std::string access_log;  // empty: none
  tls::ServerSettings tls;
  absl::Duration ticket_key_rotation = absl::Hours(1);  // zero: no session tickets
};

// Declares every data-plane flag on `flags`, storing values into `out` (--log-level sets the
// process's level as it is parsed).
void RegisterDataplaneFlags(FlagSet& flags, DataplaneFlags* out);

}  // namespace gatehouse::dataplane::server
