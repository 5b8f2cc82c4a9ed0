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
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::controlplane::translate {

// ImplementationSpecific paths are RE2 regular expressions ("true").
inline constexpr absl::string_view kUseRegexAnnotation = "use-regex";
// More hosts served exactly as the Ingress's first host ("a.test,b.test"); a name that is a host
// of its own, or another Ingress's alias already, is left out and reported.
inline constexpr absl::string_view kServerAliasAnnotation = "server-alias";
// The path sent upstream, with $1 to $9 from the path regex's groups; implies use-regex.
inline constexpr absl::string_view kRewriteTargetAnnotation = "rewrite-target";
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

// Whole seconds from 1 to 86400, as in ingress-nginx (unitless): connecting to an endpoint,
// between two reads of the response, between two writes of the request (nginx's
// proxy_connect_timeout, proxy_read_timeout and proxy_send_timeout).
inline constexpr absl::string_view kProxyConnectTimeoutAnnotation = "proxy-connect-timeout";
inline constexpr absl::string_view kProxyReadTimeoutAnnotation = "proxy-read-timeout";
inline constexpr absl::string_view kProxySendTimeoutAnnotation = "proxy-send-timeout";
// When a failed attempt goes to another endpoint: proxy-next-upstream lists the failures
// ("error timeout http_502 ...", or "off"; default "error timeout"), proxy-next-upstream-tries
// bounds the attempts (default 3; 0: no limit) and proxy-next-upstream-timeout their time
// (seconds; default 0: no limit).
inline constexpr absl::string_view kProxyNextUpstreamAnnotation = "proxy-next-upstream";
inline constexpr absl::string_view kProxyNextUpstreamTriesAnnotation = "proxy-next-upstream-tries";
inline constexpr absl::string_view kProxyNextUpstreamTimeoutAnnotation =
    "proxy-next-upstream-timeout";

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
// "true": requests go to the Service's ClusterIP and port (kube-proxy balances), not to its
// endpoints.
inline constexpr absl::string_view kServiceUpstreamAnnotation = "service-upstream";

// Redirects (redirect_annotations.cc): "permanent-redirect" (a URL, answered with 301 or
// permanent-redirect-code) and "temporal-redirect" (302 or temporal-redirect-code; it wins
// when both are set) answer every request of the Ingress's paths; "app-root" sends "/" to a
// path with 302; "from-to-www-redirect" sends www.HOST to HOST (or HOST to www.HOST when the
// rule names www.HOST) with 308; "force-ssl-redirect" redirects plain HTTP to HTTPS even
// without a certificate (behind a load balancer that terminates TLS).
inline constexpr absl::string_view kPermanentRedirectAnnotation = "permanent-redirect";
inline constexpr absl::string_view kPermanentRedirectCodeAnnotation = "permanent-redirect-code";
inline constexpr absl::string_view kTemporalRedirectAnnotation = "temporal-redirect";
inline constexpr absl::string_view kTemporalRedirectCodeAnnotation = "temporal-redirect-code";
inline constexpr absl::string_view kAppRootAnnotation = "app-root";
inline constexpr absl::string_view kFromToWwwRedirectAnnotation = "from-to-www-redirect";
inline constexpr absl::string_view kForceSslRedirectAnnotation = "force-ssl-redirect";

// Headers (header_annotations.cc): "x-forwarded-prefix" sets X-Forwarded-Prefix upstream;
// "upstream-vhost" is the Host sent upstream; "request-headers" and "response-headers" (ours)
// are YAML maps of headers set on the upstream request or on the response.
inline constexpr absl::string_view kXForwardedPrefixAnnotation = "x-forwarded-prefix";
inline constexpr absl::string_view kUpstreamVhostAnnotation = "upstream-vhost";
inline constexpr absl::string_view kRequestHeadersAnnotation = "request-headers";
inline constexpr absl::string_view kResponseHeadersAnnotation = "response-headers";
// Error pages: "custom-http-errors" lists the backend answers (codes 400 to 599) replaced by
// the answer of the Service "default-backend" names (in the Ingress's namespace, its first port;
// else the controller's --default-backend); with "default-backend" set, requests whose backend
// has no ready endpoint go to it too.
inline constexpr absl::string_view kCustomHttpErrorsAnnotation = "custom-http-errors";
inline constexpr absl::string_view kDefaultBackendAnnotation = "default-backend";

// Canary (canary_annotations.cc): "canary: true" makes the Ingress's paths the canary of another
// Ingress's same host, path type and path; canary-by-header (with -value or -pattern),
// canary-by-cookie and canary-weight out of canary-weight-total (default 100) decide which
// requests it takes.
inline constexpr absl::string_view kCanaryAnnotation = "canary";
inline constexpr absl::string_view kCanaryByHeaderAnnotation = "canary-by-header";
inline constexpr absl::string_view kCanaryByHeaderValueAnnotation = "canary-by-header-value";
inline constexpr absl::string_view kCanaryByHeaderPatternAnnotation = "canary-by-header-pattern";
inline constexpr absl::string_view kCanaryByCookieAnnotation = "canary-by-cookie";
inline constexpr absl::string_view kCanaryWeightAnnotation = "canary-weight";
inline constexpr absl::string_view kCanaryWeightTotalAnnotation = "canary-weight-total";
// Request mirroring (mirror_annotations.cc): "mirror-target" is a URL whose host names a Service
// of the Ingress's namespace ("name", "name.namespace", "name.namespace.svc[.cluster.local]", or
// its ClusterIP) and whose path is the copy's target, with nginx's $request_uri, $uri, $args,
// $host and $scheme; "mirror-host" is the copy's Host (default: the URL's host);
// "mirror-request-body: off" sends the copy without the body.
inline constexpr absl::string_view kMirrorTargetAnnotation = "mirror-target";
inline constexpr absl::string_view kMirrorHostAnnotation = "mirror-host";
inline constexpr absl::string_view kMirrorRequestBodyAnnotation = "mirror-request-body";
// "true": TLS connections naming the Ingress's hosts go to the backend of its "/" path as they
// are, routed by SNI, when the control plane runs with --enable-ssl-passthrough; its other
// annotations and its paths are then not used.
inline constexpr absl::string_view kSslPassthroughAnnotation = "ssl-passthrough";
// IP lists (access_annotations.cc): "allowlist-source-range" (or its older name
// "whitelist-source-range") lists the client addresses and CIDR ranges that may reach the
// Ingress's paths, "denylist-source-range" those that may not; others get 403. Each replaces the
// controller's default list (--allowlist-source-range, --denylist-source-range). A list that
// cannot be read refuses every client, as ingress-nginx denies the location.
inline constexpr absl::string_view kAllowlistSourceRangeAnnotation = "allowlist-source-range";
inline constexpr absl::string_view kWhitelistSourceRangeAnnotation = "whitelist-source-range";
inline constexpr absl::string_view kDenylistSourceRangeAnnotation = "denylist-source-range";
// CORS (access_annotations.cc): "enable-cors: true" answers allowed origins' preflights at the
// proxy and adds the CORS headers to responses; cors-allow-origin ("*" or a list of origins,
// "https://*.example.com" admitting one label), cors-allow-methods, cors-allow-headers,
// cors-expose-headers, cors-allow-credentials and cors-max-age, with ingress-nginx's defaults.
inline constexpr absl::string_view kEnableCorsAnnotation = "enable-cors";
inline constexpr absl::string_view kCorsAllowOriginAnnotation = "cors-allow-origin";
inline constexpr absl::string_view kCorsAllowMethodsAnnotation = "cors-allow-methods";
inline constexpr absl::string_view kCorsAllowHeadersAnnotation = "cors-allow-headers";
inline constexpr absl::string_view kCorsExposeHeadersAnnotation = "cors-expose-headers";
inline constexpr absl::string_view kCorsAllowCredentialsAnnotation = "cors-allow-credentials";
inline constexpr absl::string_view kCorsMaxAgeAnnotation = "cors-max-age";
// Rate limits (access_annotations.cc): "limit-rps" and "limit-rpm" (requests per second and per
// minute, with a burst of limit-burst-multiplier times the limit, default 5), and
// "limit-connections" (requests in flight), per client address and data plane; the Ingress's
// routes share the counts. "limit-allowlist" (or "limit-whitelist") lists CIDRs exempt.
inline constexpr absl::string_view kLimitRpsAnnotation = "limit-rps";
inline constexpr absl::string_view kLimitRpmAnnotation = "limit-rpm";
inline constexpr absl::string_view kLimitBurstMultiplierAnnotation = "limit-burst-multiplier";
inline constexpr absl::string_view kLimitConnectionsAnnotation = "limit-connections";
inline constexpr absl::string_view kLimitAllowlistAnnotation = "limit-allowlist";
inline constexpr absl::string_view kLimitWhitelistAnnotation = "limit-whitelist";
// Basic authentication (auth_annotations.cc): "auth-type: basic" with "auth-secret" (a Secret of
// the Ingress's namespace) holding htpasswd lines under the key "auth" ("auth-secret-type:
// auth-file", the default) or one hash per user ("auth-map"); "auth-realm" names the realm.
// Digest authentication is refused. Credentials that cannot be read answer 503, as ingress-nginx
// denies the location.
inline constexpr absl::string_view kAuthTypeAnnotation = "auth-type";
inline constexpr absl::string_view kAuthSecretAnnotation = "auth-secret";
inline constexpr absl::string_view kAuthSecretTypeAnnotation = "auth-secret-type";
inline constexpr absl::string_view kAuthRealmAnnotation = "auth-realm";
// Client certificates (client_cert_annotations.cc): "auth-tls-secret" (a Secret of the Ingress's
// namespace with the CA bundle under "ca.crt"), "auth-tls-verify-client" (on, the default; off;
// optional; optional_no_ca), "auth-tls-verify-depth" (default 1), "auth-tls-error-page" and
// "auth-tls-pass-certificate-to-upstream". They apply to every path of the Ingress's hosts, as
// in ingress-nginx (whose settings are the server's); a Secret that cannot be used answers 503.
inline constexpr absl::string_view kAuthTlsSecretAnnotation = "auth-tls-secret";
inline constexpr absl::string_view kAuthTlsVerifyClientAnnotation = "auth-tls-verify-client";
inline constexpr absl::string_view kAuthTlsVerifyDepthAnnotation = "auth-tls-verify-depth";
inline constexpr absl::string_view kAuthTlsErrorPageAnnotation = "auth-tls-error-page";
inline constexpr absl::string_view kAuthTlsPassCertificateAnnotation =
    "auth-tls-pass-certificate-to-upstream";
inline constexpr absl::string_view kAuthTlsMatchCnAnnotation = "auth-tls-match-cn";
// External authentication (auth_annotations.cc): "auth-url" names the auth service, a Service of
// the Ingress's namespace ("http://name.ns.svc.cluster.local/path"); auth-method,
// auth-signin (where a 401 sends the client) with auth-signin-redirect-param,
// auth-response-headers (copied into the request), auth-request-redirect, and auth-timeout
// (seconds for the answer, default 5).
inline constexpr absl::string_view kAuthUrlAnnotation = "auth-url";
inline constexpr absl::string_view kAuthMethodAnnotation = "auth-method";
inline constexpr absl::string_view kAuthSigninAnnotation = "auth-signin";
inline constexpr absl::string_view kAuthSigninRedirectParamAnnotation =
    "auth-signin-redirect-param";
inline constexpr absl::string_view kAuthResponseHeadersAnnotation = "auth-response-headers";
inline constexpr absl::string_view kAuthRequestRedirectAnnotation = "auth-request-redirect";
inline constexpr absl::string_view kAuthTimeoutAnnotation = "auth-timeout";
// auth-cache-key (nginx variables: answers are kept per value) and auth-cache-duration
// ("200 202 10m, 401 5m": statuses and how long; default "200 202 401 5m").
inline constexpr absl::string_view kAuthCacheKeyAnnotation = "auth-cache-key";
inline constexpr absl::string_view kAuthCacheDurationAnnotation = "auth-cache-duration";
// Raw nginx configuration: never interpreted, each reported.
inline constexpr absl::string_view kSnippetAnnotations[] = {"configuration-snippet",
                                                            "server-snippet", "stream-snippet",
                                                            "auth-snippet", "modsecurity-snippet"};

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
  std::string server_name;        // empty: "<service>.<namespace>.svc"
  bool service_upstream = false;  // to the Service's ClusterIP, not its endpoints
};

struct RedirectAnnotations {
  std::optional<gatehouse::v1::Redirect> redirect;  // permanent-redirect or temporal-redirect
  std::string app_root;                             // empty: none
  bool from_to_www = false;
  bool force_ssl_redirect = false;
};

struct HeaderAnnotations {
  gatehouse::v1::HeaderModifier request;   // empty: no edits
  gatehouse::v1::HeaderModifier response;  // empty: no edits
  std::string upstream_host;               // empty: the client's
};

struct CanaryAnnotations {
  bool enabled = false;
  gatehouse::v1::Canary rule;  // empty: the weight alone decides
  uint32_t weight = 0;         // at most weight_total
  uint32_t weight_total = 100;
};

// mirror-target split, and the other mirror annotations.
// An http:// or https:// URL an annotation gives for a Service (mirror-target, auth-url).
struct ServiceUrl {
  bool tls = false;    // https
  std::string host;    // lower case; an IPv6 address without brackets
  int32_t port = 0;    // 80 or 443 when the URL has none
  std::string target;  // the URL's path and query with their variables; empty: none
};
// "scheme://host[:port][path]" into `out`; why it cannot be read otherwise ("is not ...").
std::string ReadServiceUrl(absl::string_view url, ServiceUrl* out);

struct MirrorAnnotations : ServiceUrl {
  std::string host_header;  // mirror-host, else the URL's host
  bool with_body = true;
};

// auth-type basic and its Secret, as the annotations name it.
struct BasicAuthAnnotations {
  std::string secret;     // "namespace/name", in the Ingress's namespace
  bool auth_map = false;  // auth-secret-type auth-map: one hash per user; else an htpasswd file
  std::string realm;
  // Why no credentials can be read (digest, an unknown type, no usable Secret name): every
  // request gets 503. Empty: the Secret is read.
  std::string refused;
};

// auth-url and its companions.
struct ExternalAuthAnnotations {
  ServiceUrl url;
  std::string method;                         // empty: GET
  std::string signin;                         // auth-signin; empty: none
  std::string signin_param = "rd";            // auth-signin-redirect-param
  std::vector<std::string> response_headers;  // auth-response-headers
  std::string request_redirect;               // auth-request-redirect
  uint32_t timeout_ms = 5000;                 // auth-timeout
  std::string cache_key;                      // auth-cache-key; empty: every request asks
  std::vector<gatehouse::v1::AuthCacheRule> cache_rules;  // auth-cache-duration
  // Why the annotations cannot be used: every request gets 503. Empty: usable.
  std::string refused;
};

// auth-tls-secret and its companions.
struct ClientCertAnnotations {
  std::string secret;  // "namespace/name", in the Ingress's namespace
  gatehouse::v1::ClientCertificate::Mode mode = gatehouse::v1::ClientCertificate::ON;
  uint32_t verify_depth = 1;
  std::string error_page;  // empty: 400
  bool pass_certificate = false;
  std::string subject_match;  // auth-tls-match-cn, checked: empty, or "CN=" and an RE2 pattern
  // Why the annotations cannot be used: every request to the hosts gets 503. Empty: usable.
  std::string refused;
};

// Who may reach the Ingress's paths.
struct AccessAnnotations {
  std::optional<std::vector<std::string>> allow;  // unset: the controller's default list
  std::optional<std::vector<std::string>> deny;   // unset: the controller's default list
  bool refuse_all = false;                        // a list could not be read
  std::optional<gatehouse::v1::Cors> cors;        // enable-cors, with the cors-* values
  // limit-rps, limit-rpm, limit-connections; the status codes are the controller's.
  std::optional<gatehouse::v1::RateLimit> rate_limit;
  std::optional<BasicAuthAnnotations> basic_auth;        // auth-type
  std::optional<ExternalAuthAnnotations> external_auth;  // auth-url
  // auth-tls-secret, unless auth-tls-verify-client is off.
  std::optional<ClientCertAnnotations> client_cert;
};

struct IngressAnnotations {
  bool use_regex = false;
  std::string rewrite_target;               // empty: none
  std::vector<std::string> server_aliases;  // vhost domains (DomainForHost), in order
  uint64_t max_request_body_bytes = 0;      // 0: no limit
  bool ssl_redirect = true;
  gatehouse::v1::LoadBalancing load_balancing;
  gatehouse::v1::RouteTimeouts timeouts;            // 0: the data plane's own
  std::optional<gatehouse::v1::RetryPolicy> retry;  // unset: the data plane's own retries
  std::vector<uint32_t> error_codes;                // custom-http-errors
  std::string default_backend;                      // a Service name, or empty
  UpstreamAnnotations upstream;
  RedirectAnnotations redirects;
  HeaderAnnotations headers;
  CanaryAnnotations canary;
  std::optional<MirrorAnnotations> mirror;
  AccessAnnotations access;
  bool ssl_passthrough = false;
  // ssl-passthrough is set, and the control plane runs without --enable-ssl-passthrough.
  bool ssl_passthrough_disabled = false;
};

struct ParsedAnnotations {
  IngressAnnotations values;
  std::vector<std::string> errors;  // "annotation NAME: why", one per value that was not read
};

ParsedAnnotations ParseAnnotations(const objects::kube::Ingress& ingress);

// One annotation's value, under our prefix or else ingress-nginx's, with its full key; `value`
// is null when neither is set.
struct AnnotationValue {
  std::string key;
  const std::string* value = nullptr;
};
AnnotationValue LookupAnnotation(const objects::kube::Ingress& ingress, absl::string_view name);

// The header annotations and the refused snippets (header_annotations.cc), into `parsed`.
void ParseHeaderAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// The redirect annotations (redirect_annotations.cc), into `parsed`.
void ParseRedirectAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// proxy-next-upstream and its -tries and -timeout (retry_annotations.cc), into `parsed`.
void ParseRetryAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// The canary annotations (canary_annotations.cc), into `parsed`.
void ParseCanaryAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// mirror-target, mirror-host and mirror-request-body (mirror_annotations.cc), into `parsed`.
void ParseMirrorAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// The access-control annotations (access_annotations.cc), into `parsed`.
void ParseAccessAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// The authentication annotations (auth_annotations.cc), into `parsed`.
void ParseAuthAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// auth-cache-key and auth-cache-duration (auth_cache_annotations.cc), into `auth`; problems
// into `parsed`.
void ParseAuthCacheAnnotations(const objects::kube::Ingress& ingress, ExternalAuthAnnotations* auth,
                               ParsedAnnotations* parsed);

// The client-certificate annotations (client_cert_annotations.cc), into `parsed`.
void ParseClientCertAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed);

// The Secret an annotation names ("namespace/name", or a name in `ns`) as "ns/name", when it is
// in the Ingress's namespace `ns`; nullopt for any other namespace or a name that is not one.
std::optional<std::string> SecretInNamespace(absl::string_view value, const std::string& ns);

// A "true" or "false" annotation (any case); another value is reported, with `otherwise` (what
// applies instead; may be empty), and gives `fallback`.
bool ReadTrueFalse(const AnnotationValue& found, bool fallback, absl::string_view otherwise,
                   ParsedAnnotations* parsed);

// nginx's size syntax: digits with an optional k, m or g (either case), in bytes.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text);

}  // namespace gatehouse::controlplane::translate
