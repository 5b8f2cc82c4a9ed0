// What the translation needs to know about this controller: its class and controller names and
// its default backend. Plain values, set from flags, so the translation stays a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controlplane/objects/kube_objects.h"

namespace gatehouse::controlplane::translate {

inline constexpr absl::string_view kDefaultController = "gatehouse.dev/ingress-controller";
inline constexpr absl::string_view kDefaultIngressClass = "gatehouse";

// A Service port reference: "NS/SERVICE:PORT", PORT a number or a port name.
struct BackendRef {
  std::string ns;
  std::string service;
  int32_t port_number = 0;  // set when the port is given by number
  std::string port_name;    // set when the port is given by name

  std::string ToString() const;
  bool operator==(const BackendRef& o) const {
    return ns == o.ns && service == o.service && port_number == o.port_number &&
           port_name == o.port_name;
  }
};

// Parses "NS/SERVICE:PORT" (the --default-backend format).
absl::StatusOr<BackendRef> ParseBackendRef(absl::string_view text);

// Whether `text` is a DNS-1123 label (namespace, Service and port names): lower-case
// alphanumerics and '-', starting and ending alphanumeric, at most 63 characters.
bool IsDnsLabel(absl::string_view text);

// Who may serve a host named by Ingresses in several namespaces (--host-ownership).
enum class HostOwnership {
  // The Ingress specification's behaviour: every Ingress naming a host adds to it.
  kShared,
  // The namespace of the oldest Ingress naming a host (in a rule or in spec.tls) owns it:
  // Ingresses of other namespaces add neither paths nor TLS to it, and are told why.
  kFirstNamespace,
};

struct TranslateOptions {
  // An IngressClass is ours when its spec.controller equals this.
  std::string controller = std::string(kDefaultController);
  // The class name an Ingress may use when no IngressClass object exists, and the legacy
  // kubernetes.io/ingress.class annotation value that selects us.
  std::string ingress_class = std::string(kDefaultIngressClass);
  // Served when no rule and no Ingress defaultBackend matches; none means 404.
  std::optional<BackendRef> default_backend;
  // Strict-Transport-Security on the HTTPS responses of hosts with a certificate; empty: none.
  std::string hsts = "max-age=31536000; includeSubDomains";
  // The kubernetes.io/tls Secret served to HTTPS clients naming no host with a certificate.
  std::optional<gatehouse::controlplane::objects::NamespacedName> default_tls_secret;
  HostOwnership host_ownership = HostOwnership::kShared;
  // The client address lists of Ingresses that set none (--allowlist-source-range,
  // --denylist-source-range): addresses and CIDR ranges, each checked with CidrSet.
  std::vector<std::string> allowlist_source_range;
  // Namespaces whose Services every Ingress's auth-url may name, besides its own.
  std::vector<std::string> auth_service_namespaces;
  std::vector<std::string> denylist_source_range;
  // The answers to requests over a rate limit (--limit-req-status-code) and over
  // limit-connections (--limit-conn-status-code): 400 to 599.
  uint32_t limit_req_status = 503;
  uint32_t limit_conn_status = 503;
  // The ssl-passthrough annotation is honoured (--enable-ssl-passthrough).
  bool enable_ssl_passthrough = false;
  // Every Ingress is ours, whatever its class (gatehousectl migrate-check: what Gatehouse would
  // make of Ingresses written for another controller).
  bool every_class = false;
};

}  // namespace gatehouse::controlplane::translate
