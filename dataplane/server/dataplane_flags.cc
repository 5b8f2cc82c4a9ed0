#include "dataplane/server/dataplane_flags.h"

#include "common/cidr.h"
#include "common/log.h"
#include "common/path_regex.h"

namespace gatehouse::dataplane::server {
void RegisterDataplaneFlags(FlagSet& flags, DataplaneFlags* out) {
  flags.AddCustom(
      "xds-server", "HOST:PORT[,HOST:PORT]",
      [out](absl::string_view value) -> absl::Status {
        absl::StatusOr<std::vector<HostPort>> parsed = ParseHostPortList(value);
        if (!parsed.ok()) return parsed.status();
        out->xds_servers = *std::move(parsed);
        return absl::OkStatus();
      },
      "control planes to stream config from, tried in turn (required)");
  flags.AddString("node-id", &out->node_id, "this replica's name (default: HOSTNAME-PID)");
  flags.AddInt("workers", &out->workers, 1, 256,
               "worker threads, each with its own listener (default: one per core)");
  flags.AddHostPort("http-listen", &out->http_listen, "plain HTTP listener (default 0.0.0.0:8080)");
  flags.AddCustom(
      "https-listen", "HOST:PORT",
      [out](absl::string_view value) -> absl::Status {
        absl::StatusOr<HostPort> parsed = ParseHostPort(value);
        if (!parsed.ok()) return parsed.status();
        out->https_listen = *std::move(parsed);
        return absl::OkStatus();
      },
      "HTTPS listener, certificates from the Ingresses' TLS Secrets (default: none)");
  flags.AddCustom(
      "tls-min-version", "1.2|1.3",
      [out](absl::string_view value) { return tls::ParseMinVersion(value, &out->tls.tls13_only); },
      "oldest TLS version the HTTPS listener accepts (default 1.2)");
  flags.AddString("tls-ciphers", &out->tls.ciphers,
                  "TLS 1.2 cipher suites, in OpenSSL's syntax (default: ECDHE with AES-GCM or "
                  "ChaCha20-Poly1305)");
  flags.AddBool("use-forwarded-headers", &out->proxy.forwarded.use_forwarded_headers,
                "trust the X-Forwarded-For, -Proto, -Port and -Host of requests from "
                "--proxy-real-ip-cidr: the data plane is behind another proxy or load balancer "
                "(as ingress-nginx's use-forwarded-headers)");
  flags.AddCustom(
      "proxy-real-ip-cidr", "CIDR[,CIDR]",
      [out](absl::string_view value) -> absl::Status {
        absl::StatusOr<CidrSet> parsed = CidrSet::Parse(value);
        if (!parsed.ok()) return parsed.status();
        if (parsed->empty()) return absl::InvalidArgumentError("want at least one range");
        out->proxy.forwarded.trusted = *std::move(parsed);
        return absl::OkStatus();
      },
      "with --use-forwarded-headers: the proxies trusted (default 0.0.0.0/0,::/0)");
  flags.AddBool("use-proxy-protocol", &out->proxy.use_proxy_protocol,
                "every connection to the HTTP and HTTPS listeners starts with a PROXY protocol "
                "header (version 1 or 2) naming the client, as a load balancer in TCP mode sends "
                "it; a connection without one is closed (as ingress-nginx's use-proxy-protocol)");
  flags.AddBool("request-metrics", &out->proxy.request_metrics,
                "count requests by Ingress, Service, host, method and status, with their "
                "durations and sizes, for /metrics (gatehouse_ingress_*; default true)");
  flags.AddBool("compute-full-forwarded-for", &out->proxy.forwarded.compute_full_forwarded_for,
                "with --use-forwarded-headers: pass a trusted proxy's X-Forwarded-For on with "
                "the peer appended, rather than the client's address alone");
  flags.AddDuration("tls-ticket-key-rotation", &out->ticket_key_rotation, absl::ZeroDuration(),
                    absl::Hours(24 * 7),
                    "session tickets are encrypted with a key made every this often; a ticket "
                    "resumes for up to two of these (default 1h; 0s: no resumption)");
  flags.AddHostPort("admin-listen", &out->admin_listen, "gRPC admin API (default 127.0.0.1:19001)");
  flags.AddHostPort("health-listen", &out->health_listen,
                    "/healthz, /readyz and /metrics (default 0.0.0.0:19101)");
  flags.AddDuration("request-header-timeout", &out->proxy.request_header_timeout,
                    absl::Milliseconds(10), absl::Hours(1),
                    "time a client has to send a request's head (default 10s; then 408)");
  flags.AddDuration("idle-timeout", &out->proxy.idle_timeout, absl::Milliseconds(10),
                    absl::Hours(24),
                    "keep-alive client connections idle this long close (default 60s)");
  flags.AddDuration("tunnel-idle-timeout", &out->proxy.tunnel_idle_timeout, absl::Milliseconds(10),
                    absl::Hours(24 * 7),
                    "a WebSocket tunnel with no bytes either way this long closes (default 1h)");
  flags.AddDuration("send-timeout", &out->proxy.send_timeout, absl::Milliseconds(10),
                    absl::Hours(1),
                    "a client taking none of the bytes queued for it this long is disconnected "
                    "(default 60s)");
  flags.AddDuration("upstream-connect-timeout", &out->proxy.upstream_connect_timeout,
                    absl::Milliseconds(10), absl::Minutes(10),
                    "connecting to an endpoint, unless the cluster sets it (default 5s; then 504)");
  flags.AddDuration(
      "upstream-response-timeout", &out->proxy.upstream_response_timeout, absl::Milliseconds(10),
      absl::Hours(24),
      "waiting for the response head once the whole request went up (default 60s; then 504)");
  flags.AddDuration("request-body-timeout", &out->proxy.request_body_timeout,
                    absl::Milliseconds(10), absl::Hours(24),
                    "a client sending no request body bytes this long gets 408 (default 60s)");
  flags.AddDuration("stream-idle-timeout", &out->proxy.stream_idle_timeout, absl::Milliseconds(10),
                    absl::Hours(24),
                    "a request with no bytes either way this long ends: 408 or 504 before the "
                    "response, a reset after (default 5m)");
  flags.AddDuration(
      "upstream-idle-timeout", &out->proxy.upstream_pool.idle_timeout, absl::Milliseconds(10),
      absl::Hours(24),
      "a pooled keep-alive upstream connection unused this long closes (default 60s)");
  flags.AddInt("upstream-max-idle-per-endpoint", &out->proxy.upstream_pool.max_idle_per_endpoint, 0,
               100000,
               "keep-alive upstream connections kept idle per endpoint and worker; more close "
               "(default 64; 0: none kept)");
  flags.AddByteSize("max-connection-buffer", &out->proxy.max_connection_buffer, 0, size_t{1} << 30,
                    "bytes one client connection may make the data plane hold, all its streams "
                    "and both directions; past it they pause reading (default 4MiB; 0: no "
                    "limit)");
  flags.AddInt("max-connections", &out->max_connections, 1, 10000000,
               "open client connections at most; more are closed at once (default: half the "
               "open-file limit, less 256, as each needs an upstream connection too)");
  flags.AddDuration("drain-delay", &out->drain_delay, absl::ZeroDuration(), absl::Hours(1),
                    "on SIGTERM, how long to keep accepting while /readyz answers 503 and "
                    "load balancers take this replica out (default 5s)");
  flags.AddDuration("drain-timeout", &out->drain_timeout, absl::ZeroDuration(), absl::Hours(1),
                    "then, how long requests in progress may take to finish (default 30s)");
  flags.AddString("access-log", &out->access_log,
                  "write one JSON line per request to this file, or to standard output for "
                  "\"stdout\" (default: no access log)");
  flags.AddString("xds-tls-cert", &out->xds_tls.cert,
                  "PEM certificate presented to control planes (with -key and -ca: mutual TLS)");
  flags.AddString("xds-tls-key", &out->xds_tls.key, "PEM private key of --xds-tls-cert");
  flags.AddString("xds-tls-ca", &out->xds_tls.ca,
                  "PEM CA bundle control-plane certificates must chain to");
  flags.AddString("xds-tls-server-name", &out->xds_tls.server_name,
                  "the DNS name the control plane's certificate must carry (default: the host "
                  "of --xds-server)");
  AddMaxRegexProgramSizeFlag(flags);
  AddLogFormatFlag(flags);
  flags.AddCustom(
      "log-level", "LEVEL",
      [](absl::string_view value) -> absl::Status {
        absl::StatusOr<LogLevel> level = ParseLogLevel(value);
        if (!level.ok()) return level.status();
        SetLogLevel(*level);
        return absl::OkStatus();
      },
      "debug, info, warning or error (default info)");
}

}  // namespace gatehouse::dataplane::server
