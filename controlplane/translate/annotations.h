// The Ingress annotations Gatehouse reads: its own (gatehouse.dev/...) and the ingress-nginx ones
// users already have (nginx.ingress.kubernetes.io/...), which mean the same here. When both are
// set, ours wins. A value that cannot be read is reported on the Ingress and left at its default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controlplane/objects/kube_objects.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

// ImplementationSpecific paths are RE2 regular expressions ("true").
inline constexpr absl::string_view kUseRegexAnnotation = "use-regex";
// The largest request body the Ingress's routes accept, in nginx's size syntax ("8k", "1m",
// "2g", plain bytes); "0" means no limit. A larger body gets 413.
inline constexpr absl::string_view kProxyBodySizeAnnotation = "proxy-body-size";
// "false": the hosts of the Ingress's spec.tls are not redirected from HTTP to HTTPS.
inline constexpr absl::string_view kSslRedirectAnnotation = "ssl-redirect";
// "round_robin" (the default) or "least_request" (nginx's "ewma" means the same here).
inline constexpr absl::string_view kLoadBalanceAnnotation = "load-balance";
// Consistent hashing by "$remote_addr", "$http_NAME" (a header) or "$cookie_NAME".
inline constexpr absl::string_view kUpstreamHashByAnnotation = "upstream-hash-by";
// "cookie": session affinity by a cookie the data plane sets, named by session-cookie-name
// (default INGRESSCOOKIE) and kept for session-cookie-max-age seconds (default: the session).
inline constexpr absl::string_view kAffinityAnnotation = "affinity";
inline constexpr absl::string_view kSessionCookieNameAnnotation = "session-cookie-name";
inline constexpr absl::string_view kSessionCookieMaxAgeAnnotation = "session-cookie-max-age";

// How requests reach the backends: HTTP (HTTP/1.1, the default), HTTPS (HTTP/1.1 over TLS),
// GRPC or H2C (HTTP/2 cleartext) and GRPCS (HTTP/2 over TLS). Overrides the Service port's
// appProtocol.
inline constexpr absl::string_view kBackendProtocolAnnotation = "backend-protocol";
// With TLS to the backends: "on" checks their certificates, against the ca.crt of the Secret
// proxy-ssl-secret ("namespace/name"; a kubernetes.io/tls one, as those are the Secrets watched)
// or else the system's CAs, for the
// name proxy-ssl-name (default "<service>.<namespace>.svc", also sent as SNI).
inline constexpr absl::string_view kProxySslVerifyAnnotation = "proxy-ssl-verify";
inline constexpr absl::string_view kProxySslSecretAnnotation = "proxy-ssl-secret";
inline constexpr absl::string_view kProxySslNameAnnotation = "proxy-ssl-name";

inline constexpr absl::string_view kGatehousePrefix = "gatehouse.dev/";
inline constexpr absl::string_view kNginxPrefix = "nginx.ingress.kubernetes.io/";

// How an Ingress's annotations say to reach its backends; unset fields keep the Service port's.
struct UpstreamAnnotations {
  std::optional<gatehouse::v1::Cluster::Protocol> protocol;
  std::optional<bool> tls;
  bool verify = false;
  std::string ca_secret;  // "namespace/name", or empty
  // The Secret named is not one the Ingress may read (another namespace, or no Secret name):
  // the backend fails closed, without a lookup.
  bool ca_secret_refused = false;
  std::string server_name;  // empty: "<service>.<namespace>.svc"
};

struct IngressAnnotations {
  bool use_regex = false;
  uint64_t max_request_body_bytes = 0;  // 0: no limit
  bool ssl_redirect = true;
  gatehouse::v1::LoadBalancing load_balancing;
  UpstreamAnnotations upstream;
};

struct ParsedAnnotations {
  IngressAnnotations values;
  std::vector<std::string> errors;  // "annotation NAME: why", one per value that was not read
};

ParsedAnnotations ParseAnnotations(const objects::kube::Ingress& ingress);

// nginx's size syntax: digits with an optional k, m or g (either case), in bytes.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text);

}  // namespace gatehouse::controlplane::translate
