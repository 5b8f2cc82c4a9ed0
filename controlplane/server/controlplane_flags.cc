#include "controlplane/server/controlplane_flags.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "common/path_regex.h"
#include "controlplane/translate/options.h"

namespace gatehouse::controlplane::server {
namespace {

using translate::IsDnsLabel;

FlagSet::Parser NamespaceParser(std::string* target) {
  return [target](absl::string_view value) -> absl::Status {
    if (!IsDnsLabel(value)) return absl::InvalidArgumentError("not a namespace name");
    *target = std::string(value);
    return absl::OkStatus();
  };
}

// Namespace names, separated by commas.
FlagSet::Parser NamespacesParser(std::vector<std::string>* target) {
  return [target](absl::string_view value) -> absl::Status {
    std::vector<std::string> names;
    for (absl::string_view name : absl::StrSplit(value, ',')) {
      name = absl::StripAsciiWhitespace(name);
      if (!IsDnsLabel(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", absl::CHexEscape(name), "\" is not a namespace name"));
      }
      names.emplace_back(name);
    }
    *target = std::move(names);
    return absl::OkStatus();
  };
}

// Addresses and CIDR ranges, separated by commas.
FlagSet::Parser RangesParser(std::vector<std::string>* target) {
  return [target](absl::string_view value) -> absl::Status {
    RangeList list = SplitRanges(value);
    if (!list.errors.empty()) return absl::InvalidArgumentError(list.errors.front());
    *target = std::move(list.ranges);
    return absl::OkStatus();
  };
}

// An HTTP status from 400 to 599.
FlagSet::Parser StatusParser(uint32_t* target) {
  return [target](absl::string_view value) -> absl::Status {
    uint32_t status = 0;
    if (!absl::SimpleAtoi(value, &status) || status < 400 || status > 599) {
      return absl::InvalidArgumentError("want a status from 400 to 599");
    }
    *target = status;
    return absl::OkStatus();
  };
}

FlagSet::Parser NonEmptyParser(std::string* target) {
  return [target](absl::string_view value) -> absl::Status {
    if (value.empty()) return absl::InvalidArgumentError("must not be empty");
    *target = std::string(value);
    return absl::OkStatus();
  };
}

}  // namespace

absl::StatusOr<SourceSpec> ParseSourceSpec(absl::string_view text) {
  if (text == "kubernetes") return SourceSpec{SourceSpec::Kind::kKubernetes, ""};
  if (absl::StartsWith(text, "file:")) {
    absl::string_view dir = text.substr(5);
    if (dir.empty()) return absl::InvalidArgumentError("file: needs a folder (file:DIR)");
    return SourceSpec{SourceSpec::Kind::kFile, std::string(dir)};
  }
  return absl::InvalidArgumentError("want kubernetes or file:DIR");
}

void RegisterControlPlaneFlags(FlagSet& flags, ControlPlaneFlags* out) {
  flags.AddCustom(
      "source", "kubernetes|file:DIR",
      [out](absl::string_view value) -> absl::Status {
        absl::StatusOr<SourceSpec> spec = ParseSourceSpec(value);
        if (!spec.ok()) return spec.status();
        out->source = *spec;
        out->source_text = std::string(value);
        return absl::OkStatus();
      },
      "where Kubernetes objects come from (required)");
  flags.AddString("kubeconfig", &out->kubeconfig,
                  "with --source=kubernetes: the kubeconfig file whose current context to use "
                  "(default: the pod's service account)");
  flags.AddCustom("election-id", "NAME", NonEmptyParser(&out->election_id),
                  "with --source=kubernetes: the Lease replicas elect their leader through "
                  "(default gatehouse-controlplane)");
  flags.AddCustom("election-namespace", "NS", NamespaceParser(&out->election_namespace),
                  "the Lease's namespace (default: the pod's own, else default)");
  flags.AddCustom(
      "default-tls-secret", "NS/NAME",
      [out](absl::string_view value) -> absl::Status {
        std::vector<std::string> parts = absl::StrSplit(value, '/');
        if (parts.size() != 2 || !IsDnsLabel(parts[0]) || parts[1].empty()) {
          return absl::InvalidArgumentError("want NAMESPACE/NAME");
        }
        out->default_tls_secret = objects::NamespacedName{parts[0], parts[1]};
        return absl::OkStatus();
      },
      "the kubernetes.io/tls Secret served to HTTPS clients naming no host with a "
      "certificate (default: each data plane's own self-signed one)");
  flags.AddCustom(
      "host-ownership", "shared|first-namespace",
      [out](absl::string_view value) -> absl::Status {
        if (value == "shared") {
          out->host_ownership = translate::HostOwnership::kShared;
        } else if (value == "first-namespace") {
          out->host_ownership = translate::HostOwnership::kFirstNamespace;
        } else {
          return absl::InvalidArgumentError("want shared or first-namespace");
        }
        return absl::OkStatus();
      },
      "who may serve a host that Ingresses in several namespaces name: all of them (shared, "
      "the Ingress specification's behaviour and the default), or only the namespace of the "
      "oldest (first-namespace)");
  flags.AddBool("enable-ssl-passthrough", &out->enable_ssl_passthrough,
                "honour the ssl-passthrough annotation: TLS connections naming such an Ingress's "
                "hosts go to its backend as they are, routed by SNI (as ingress-nginx's flag)");
  flags.AddCustom("allowlist-source-range", "CIDR[,CIDR...]",
                  RangesParser(&out->allowlist_source_range),
                  "only clients at these addresses may reach Ingresses that set no "
                  "allowlist-source-range annotation; others get 403 (default: every client)");
  flags.AddCustom("denylist-source-range", "CIDR[,CIDR...]",
                  RangesParser(&out->denylist_source_range),
                  "clients at these addresses get 403 from Ingresses that set no "
                  "denylist-source-range annotation (default: none)");
  flags.AddCustom("auth-service-namespaces", "NS[,NS...]",
                  NamespacesParser(&out->auth_service_namespaces),
                  "namespaces whose Services every Ingress's auth-url may name, besides its own "
                  "(a shared oauth2-proxy; default: none)");
  flags.AddCustom("limit-req-status-code", "CODE", StatusParser(&out->limit_req_status),
                  "the answer to a request over limit-rps or limit-rpm, 400 to 599 (default 503; "
                  "429 adds Retry-After)");
  flags.AddCustom("limit-conn-status-code", "CODE", StatusParser(&out->limit_conn_status),
                  "the answer to a request over limit-connections, 400 to 599 (default 503)");
  flags.AddCustom(
      "hsts", "VALUE",
      [out](absl::string_view value) -> absl::Status {
        // Every data plane refuses a header value it could not send: checked here, at start.
        if (!IsFieldValue(value)) {
          return absl::InvalidArgumentError(
              "not a valid header value (control characters, or leading or trailing spaces)");
        }
        out->hsts = std::string(value);
        return absl::OkStatus();
      },
      "Strict-Transport-Security sent over HTTPS by hosts with a certificate; empty for none "
      "(default \"max-age=31536000; includeSubDomains\")");
  flags.AddCustom("ingress-class", "NAME", NonEmptyParser(&out->ingress_class),
                  "the class name this controller answers to (default gatehouse)");
  flags.AddCustom("controller-name", "NAME", NonEmptyParser(&out->controller_name),
                  "the IngressClass spec.controller that is ours "
                  "(default gatehouse.dev/ingress-controller)");
  flags.AddCustom("watch-namespace", "NS", NamespaceParser(&out->watch_namespace),
                  "only objects of this namespace (default: all)");
  flags.AddHostPort("xds-listen", &out->xds_listen,
                    "config stream for data planes (default 0.0.0.0:18000)");
  flags.AddHostPort("admin-listen", &out->admin_listen, "admin gRPC API (default 127.0.0.1:19000)");
  flags.AddHostPort("health-listen", &out->health_listen,
                    "/healthz, /readyz and /metrics (default 0.0.0.0:19100)");
  flags.AddCustom(
      "publish-service", "NS/NAME",
      [out](absl::string_view value) -> absl::Status {
        size_t slash = value.find('/');
        if (slash == absl::string_view::npos || !IsDnsLabel(value.substr(0, slash)) ||
            !IsDnsLabel(value.substr(slash + 1))) {
          return absl::InvalidArgumentError("want NAMESPACE/NAME");
        }
        out->publish_service = std::string(value);
        return absl::OkStatus();
      },
      "the data plane's Service whose address goes into Ingress status");
  flags.AddCustom(
      "publish-address", "IP",
      [out](absl::string_view value) -> absl::Status {
        std::string text(value);
        unsigned char buf[16];
        if (inet_pton(AF_INET, text.c_str(), buf) != 1 &&
            inet_pton(AF_INET6, text.c_str(), buf) != 1) {
          return absl::InvalidArgumentError("not an IPv4 or IPv6 address");
        }
        out->publish_address = text;
        return absl::OkStatus();
      },
      "the address that goes into Ingress status");
  flags.AddCustom(
      "default-backend", "NS/SERVICE:PORT",
      [out](absl::string_view value) -> absl::Status {
        absl::StatusOr<translate::BackendRef> ref = translate::ParseBackendRef(value);
        if (!ref.ok()) return ref.status();
        out->default_backend = *ref;
        return absl::OkStatus();
      },
      "served when no rule matches (default: 404)");
  flags.AddDuration("debounce", &out->debounce, absl::ZeroDuration(), absl::Seconds(10),
                    "quiet time the rest of a burst waits for before a rebuild; a change "
                    "after --debounce-max without rebuilds is rebuilt at once (default 50ms)");
  flags.AddDuration("debounce-max", &out->debounce_max, absl::ZeroDuration(), absl::Seconds(60),
                    "longest a change waits for its rebuild during a burst (default 500ms)");
  flags.AddString("xds-tls-cert", &out->xds_tls.cert,
                  "PEM certificate the config stream presents (with -key and -ca: mutual TLS)");
  flags.AddString("xds-tls-key", &out->xds_tls.key, "PEM private key of --xds-tls-cert");
  flags.AddString("xds-tls-ca", &out->xds_tls.ca,
                  "PEM CA bundle data-plane certificates must chain to");
  flags.AddCustom(
      "xds-tls-secret", "NS/NAME",
      [out](absl::string_view value) -> absl::Status {
        std::vector<std::string> parts = absl::StrSplit(value, '/');
        if (parts.size() != 2 || !IsDnsLabel(parts[0]) || !IsDnsName(parts[1])) {
          return absl::InvalidArgumentError("want NAMESPACE/NAME");
        }
        out->xds_tls_secret = objects::NamespacedName{parts[0], parts[1]};
        return absl::OkStatus();
      },
      "with --source=kubernetes: mutual TLS on the config stream with certificates kept in "
      "this Secret, made into it when it does not exist (instead of --xds-tls-cert/-key/-ca)");
  flags.AddCustom(
      "xds-tls-server-names", "NAME[,NAME]",
      [out](absl::string_view value) -> absl::Status {
        std::vector<std::string> names = absl::StrSplit(value, ',');
        for (const std::string& name : names) {
          if (!IsDnsName(name)) {
            return absl::InvalidArgumentError(
                absl::StrCat(QuoteForMessage(name), " is not a DNS name"));
          }
        }
        out->xds_tls_server_names = std::move(names);
        return absl::OkStatus();
      },
      "with --xds-tls-secret: the DNS names data planes dial the config stream by, written into "
      "the certificate the control plane makes");
  AddMaxRegexProgramSizeFlag(flags);
  AddLogFormatFlag(flags);
  flags.AddCustom(
      "log-level", "LEVEL",
      [out](absl::string_view value) -> absl::Status {
        absl::StatusOr<LogLevel> level = ParseLogLevel(value);
        if (!level.ok()) return level.status();
        out->log_level = std::string(value);
        return absl::OkStatus();
      },
      "debug, info, warning or error (default info)");
}

}  // namespace gatehouse::controlplane::server
