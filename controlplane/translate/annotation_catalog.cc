#include "controlplane/translate/annotation_catalog.h"

#include <algorithm>
#include <iterator>

namespace gatehouse::controlplane::translate {
namespace {

// Notes that several annotations share.
constexpr absl::string_view kBuffers =
    "not needed: Gatehouse streams bodies with its own bounded buffers";
constexpr absl::string_view kTracing = "not supported: Gatehouse exports metrics, not traces";
constexpr absl::string_view kNoWaf = "not supported: Gatehouse has no WAF";
constexpr absl::string_view kNginxSnippet =
    "never interpreted; use gatehouse.dev/request-headers or response-headers for header lines";
constexpr absl::string_view kProxyRedirect =
    "not supported: Location and Refresh headers from the backend pass unchanged";
constexpr absl::string_view kNoSameSite =
    "not supported: the affinity cookie carries no SameSite attribute";

// Every annotation ingress-nginx documents on its annotations page at controller-v1.15.1: the 117
// of its summary table and the 13 its text describes besides (auth-signin, limit-rpm, ...),
// sorted by name, and what Gatehouse does with each; and allowlist-source-range and
// limit-allowlist, the newer names of whitelist-source-range and limit-whitelist that
// ingress-nginx's code reads.
// docs/annotations.md lists the same.
constexpr AnnotationInfo kCatalog[] = {
    {"affinity", Support::kApplied,
     "cookie: sticky sessions by a cookie the data plane sets (Path=/, HttpOnly)"},
    {"affinity-canary-behavior", Support::kIgnored,
     "not supported: affinity does not pin clients to the canary; canary rules decide per request"},
    {"affinity-mode", Support::kIgnored,
     "not supported: always as 'balanced' (sessions move when endpoints change); no 'persistent'"},
    {"allowlist-source-range", Support::kApplied,
     "only clients at these addresses or CIDR ranges are served, others get 403 (replaces "
     "--allowlist-source-range)"},
    {"app-root", Support::kApplied, "302 from / to this path, for the Ingress's own paths"},
    {"auth-always-set-cookie", Support::kIgnored,
     "not supported: the auth answer's Set-Cookie goes with success and redirect responses only"},
    {"auth-cache-duration", Support::kApplied,
     "statuses and times as nginx's proxy_cache_valid (default 200 202 401 5m); kept per "
     "worker"},
    {"auth-cache-key", Support::kDiffers,
     "$http_*, $cookie_*, $arg_*, $remote_user, $remote_addr, $host, $uri, $request_uri, $args, "
     "$scheme, $request_method and text; answers are kept per worker and per route, in a "
     "table of fixed size"},
    {"auth-keepalive", Support::kNotNeeded,
     "not needed: the data plane's upstream pools keep connections to the auth service open"},
    {"auth-keepalive-requests", Support::kNotNeeded,
     "not needed: the data plane's upstream pools keep connections to the auth service open"},
    {"auth-keepalive-share-vars", Support::kNotNeeded,
     "not needed: the auth request carries the client's X-Request-ID"},
    {"auth-keepalive-timeout", Support::kNotNeeded,
     "not needed: the data plane's upstream pools keep connections to the auth service open"},
    {"auth-method", Support::kApplied, "the auth request's method (default GET)"},
    {"auth-proxy-set-headers", Support::kIgnored,
     "not supported: the auth request carries the client's headers and the proxy's X-Original-* "
     "and X-Forwarded-*"},
    {"auth-realm", Support::kApplied,
     "the realm of WWW-Authenticate; one with a quote, backslash or control character is reported "
     "and left empty"},
    {"auth-request-redirect", Support::kApplied,
     "the auth request's X-Auth-Request-Redirect (default the request URI)"},
    {"auth-response-headers", Support::kApplied,
     "copied from the auth answer into the request; a client's own value never passes"},
    {"auth-secret", Support::kApplied,
     "a Secret of the Ingress's namespace (another namespace's is refused, never looked up); its "
     "users and hashes"},
    {"auth-secret-type", Support::kApplied,
     "auth-file (key auth, htpasswd lines) or auth-map (one hash per user)"},
    {"auth-signin", Support::kApplied,
     "a 401 from the auth service becomes a 302 here, with the request's URL in rd; nginx "
     "variables as in redirects, and $escaped_request_uri"},
    {"auth-signin-redirect-param", Support::kApplied,
     "the name of the sign-in URL's parameter (default rd)"},
    {"auth-snippet", Support::kRefused,
     "raw nginx configuration, never interpreted; auth-url and its annotations cover the common "
     "uses"},
    {"auth-tls-error-page", Support::kApplied,
     "a refused request is redirected there (302) instead of getting 400"},
    {"auth-tls-match-cn", Support::kApplied,
     "CN= and an RE2 pattern, found anywhere in the certificate's RFC 2253 subject; otherwise "
     "403; one that cannot be compiled answers 503"},
    {"auth-tls-pass-certificate-to-upstream", Support::kApplied,
     "the certificate goes upstream URL-encoded in ssl-client-cert"},
    {"auth-tls-secret", Support::kDiffers,
     "a Secret of the Ingress's namespace with ca.crt, and ca.crl if revocations are checked; "
     "every path of its hosts asks (the oldest Ingress's settings win); a missing Secret answers "
     "503 where ingress-nginx asks nothing; a request whose TLS server name is another host's "
     "gets 421"},
    {"auth-tls-verify-client", Support::kApplied, "on, off, optional or optional_no_ca"},
    {"auth-tls-verify-depth", Support::kApplied,
     "intermediate CAs allowed between a client's certificate and the CA (1 to 10)"},
    {"auth-type", Support::kDiffers,
     "basic: htpasswd's bcrypt, $apr1$, {SHA}, $1$, $5$, $6$ (DES and plain text refused); digest "
     "is refused and the paths answer 503"},
    {"auth-url", Support::kDiffers,
     "an http:// or https:// URL naming a Service of the Ingress's namespace, without variables; "
     "reached through the data plane's pools"},
    {"backend-protocol", Support::kDiffers,
     "HTTP, HTTPS, GRPC, GRPCS and H2C (ours); AUTO_HTTP and FCGI are not supported"},
    {"canary", Support::kApplied,
     "marks the Ingress as the canary of the Ingress serving the same host and path"},
    {"canary-by-cookie", Support::kApplied,
     "cookie whose value 'always' or 'never' sends the request to the canary or keeps it off"},
    {"canary-by-header", Support::kApplied,
     "header whose value 'always' or 'never' sends the request to the canary or keeps it off"},
    {"canary-by-header-pattern", Support::kDiffers,
     "a regex on the canary-by-header value selecting the canary; RE2 syntax, not PCRE"},
    {"canary-by-header-value", Support::kApplied,
     "the canary-by-header value that sends the request to the canary"},
    {"canary-weight", Support::kApplied,
     "the share of requests, out of canary-weight-total, sent to the canary"},
    {"canary-weight-total", Support::kApplied,
     "the total that canary-weight is a share of (default 100)"},
    {"client-body-buffer-size", Support::kNotNeeded, kBuffers},
    {"configuration-snippet", Support::kRefused, kNginxSnippet},
    {"connection-proxy-header", Support::kNotNeeded,
     "not needed: the data plane manages upstream Connection headers and keep-alive itself"},
    {"cors-allow-credentials", Support::kApplied,
     "Access-Control-Allow-Credentials: true (default) for listed origins; never with '*'"},
    {"cors-allow-headers", Support::kApplied, "Access-Control-Allow-Headers of preflight answers"},
    {"cors-allow-methods", Support::kApplied, "Access-Control-Allow-Methods of preflight answers"},
    {"cors-allow-origin", Support::kDiffers,
     "'*' or origins ('https://*.a.com': one label); matched whole, and a value without one "
     "valid origin allows none, where ingress-nginx would allow every origin"},
    {"cors-expose-headers", Support::kApplied, "Access-Control-Expose-Headers of responses"},
    {"cors-max-age", Support::kApplied, "Access-Control-Max-Age of preflight answers"},
    {"custom-headers", Support::kIgnored,
     "not supported: ConfigMaps are not read; use gatehouse.dev/response-headers instead"},
    {"custom-http-errors", Support::kApplied,
     "backend answers of these codes are replaced by default-backend's, with X-Code and the rest"},
    {"default-backend", Support::kApplied,
     "a Service of the namespace (first port): answers custom-http-errors, and when no endpoint is "
     "ready"},
    {"denylist-source-range", Support::kApplied,
     "clients at these addresses or CIDR ranges get 403 (replaces --denylist-source-range)"},
    {"enable-access-log", Support::kIgnored,
     "not supported: --access-log logs every request; it cannot be turned off per Ingress"},
    {"enable-cors", Support::kDiffers,
     "allowed origins' preflights (OPTIONS with Access-Control-Request-Method) get 204 here; "
     "Vary: Origin and no '*' with credentials, as the Fetch standard asks"},
    {"enable-global-auth", Support::kNotNeeded,
     "not needed: there is no global external authentication to opt out of"},
    {"enable-modsecurity", Support::kIgnored, kNoWaf},
    {"enable-opentelemetry", Support::kIgnored, kTracing},
    {"enable-owasp-core-rules", Support::kIgnored, kNoWaf},
    {"enable-rewrite-log", Support::kIgnored, "not supported: there is no rewrite log"},
    {"force-ssl-redirect", Support::kApplied,
     "308 from plain HTTP to HTTPS even without a certificate here (TLS ended in front)"},
    {"from-to-www-redirect", Support::kApplied,
     "308 from www.HOST to HOST, or from HOST to www.HOST when the rule names www.HOST"},
    {"http2-push-preload", Support::kIgnored, "not supported: HTTP/2 server push is not offered"},
    {"limit-allowlist", Support::kApplied,
     "client addresses and CIDR ranges the rate limits leave alone"},
    {"limit-burst-multiplier", Support::kApplied,
     "the burst of limit-rps and limit-rpm, times the limit (default 5)"},
    {"limit-connections", Support::kApplied,
     "requests in flight per client address and data plane; each HTTP/2 stream counts"},
    {"limit-rate", Support::kIgnored, "not supported: response bandwidth is not limited"},
    {"limit-rate-after", Support::kIgnored, "not supported: response bandwidth is not limited"},
    {"limit-rpm", Support::kApplied,
     "requests per minute per client address and data plane, as nginx's limit_req nodelay"},
    {"limit-rps", Support::kApplied,
     "requests per second per client address and data plane, as nginx's limit_req nodelay"},
    {"limit-whitelist", Support::kApplied, "the older name of limit-allowlist"},
    {"load-balance", Support::kDiffers,
     "round_robin, or ewma served as least_request (the less busy of two random endpoints)"},
    {"mirror-host", Support::kApplied,
     "the copy's Host (default: the host of mirror-target's URL)"},
    {"mirror-request-body", Support::kApplied,
     "on (the default) or off: whether the copy carries the request body"},
    {"mirror-target", Support::kDiffers,
     "the URL's host must name a Service of the Ingress's namespace (or its ClusterIP): no DNS "
     "lookup, no other namespace; a slow mirror never holds the request back, as nginx's does"},
    {"modsecurity-snippet", Support::kRefused,
     "raw ModSecurity configuration, never interpreted; no equivalent, as there is no WAF"},
    {"modsecurity-transaction-id", Support::kIgnored, kNoWaf},
    {"opentelemetry-trust-incoming-span", Support::kIgnored, kTracing},
    {"permanent-redirect", Support::kApplied,
     "301 to this URL; $request_uri, $uri, $args, $host and $scheme are expanded"},
    {"permanent-redirect-code", Support::kApplied,
     "the code of permanent-redirect, 300 to 308 (default 301)"},
    {"preserve-trailing-slash", Support::kNotNeeded,
     "not needed: the HTTPS redirect always keeps the path as sent, trailing slash included"},
    {"proxy-body-size", Support::kApplied,
     "largest request body (nginx sizes), else 413; unset: no limit (ingress-nginx: 1m)"},
    {"proxy-buffer-size", Support::kNotNeeded, kBuffers},
    {"proxy-buffering", Support::kNotNeeded, kBuffers},
    {"proxy-buffers-number", Support::kNotNeeded, kBuffers},
    {"proxy-busy-buffers-size", Support::kNotNeeded, kBuffers},
    {"proxy-connect-timeout", Support::kApplied, "seconds to wait for a connection to a backend"},
    {"proxy-cookie-domain", Support::kIgnored,
     "not supported: Set-Cookie domains from the backend pass unchanged"},
    {"proxy-cookie-path", Support::kIgnored,
     "not supported: Set-Cookie paths from the backend pass unchanged"},
    {"proxy-http-version", Support::kIgnored,
     "not supported: backends get HTTP/1.1, or HTTP/2 by backend-protocol; never HTTP/1.0"},
    {"proxy-max-temp-file-size", Support::kNotNeeded, kBuffers},
    {"proxy-next-upstream", Support::kApplied,
     "failures that send a request to another endpoint: error, timeout, "
     "http_403/404/429/500/502/503/504, non_idempotent, off"},
    {"proxy-next-upstream-timeout", Support::kApplied,
     "seconds within which a request may go to another endpoint; 0: no limit"},
    {"proxy-next-upstream-tries", Support::kApplied,
     "attempts a request may make, the first included (0: up to 16); default 3"},
    {"proxy-read-timeout", Support::kApplied, "seconds to wait on the backend's response"},
    {"proxy-redirect-from", Support::kIgnored, kProxyRedirect},
    {"proxy-redirect-to", Support::kIgnored, kProxyRedirect},
    {"proxy-request-buffering", Support::kNotNeeded, kBuffers},
    {"proxy-send-timeout", Support::kApplied,
     "seconds a write of the request to the backend may stall"},
    {"proxy-ssl-ciphers", Support::kIgnored,
     "not supported: TLS to backends uses the TLS library's default ciphers"},
    {"proxy-ssl-name", Support::kApplied,
     "the name the backend certificate must carry, also the SNI (default SERVICE.NAMESPACE.svc)"},
    {"proxy-ssl-protocols", Support::kIgnored,
     "not supported: TLS to backends is always TLS 1.2 or 1.3"},
    {"proxy-ssl-secret", Support::kDiffers,
     "only its ca.crt is used (no client certificate is sent); the Ingress's namespace only"},
    {"proxy-ssl-server-name", Support::kNotNeeded,
     "not needed: SNI is always sent to TLS backends (proxy-ssl-name or SERVICE.NAMESPACE.svc)"},
    {"proxy-ssl-verify", Support::kApplied,
     "on checks the backends' certificates; off (the default) accepts any"},
    {"proxy-ssl-verify-depth", Support::kIgnored,
     "not supported: backend chains are checked at the TLS library's default depth"},
    {"rewrite-target", Support::kDiffers,
     "path sent upstream, $0 to $9 from the path regex; implies use-regex for this Ingress only"},
    {"satisfy", Support::kIgnored,
     "not yet: there are no access checks to combine until access control"},
    {"server-alias", Support::kApplied,
     "more host names served exactly as the Ingress's first host"},
    {"server-snippet", Support::kRefused, kNginxSnippet},
    {"service-upstream", Support::kApplied,
     "true: to the Service's ClusterIP and port (kube-proxy balances), not to its endpoints"},
    {"session-cookie-change-on-failure", Support::kIgnored,
     "not supported: the cookie is kept; if its endpoint is gone, hashing picks another"},
    {"session-cookie-conditional-samesite-none", Support::kIgnored, kNoSameSite},
    {"session-cookie-domain", Support::kIgnored,
     "not supported: the affinity cookie has no Domain attribute"},
    {"session-cookie-expires", Support::kIgnored,
     "not supported: no Expires attribute is set; use session-cookie-max-age"},
    {"session-cookie-max-age", Support::kApplied,
     "the affinity cookie's Max-Age in seconds (default: a session cookie)"},
    {"session-cookie-name", Support::kApplied,
     "the affinity cookie's name (default INGRESSCOOKIE)"},
    {"session-cookie-path", Support::kIgnored,
     "not supported: the affinity cookie's Path is always /"},
    {"session-cookie-samesite", Support::kIgnored, kNoSameSite},
    {"session-cookie-secure", Support::kIgnored,
     "not supported: the affinity cookie is not marked Secure"},
    {"ssl-ciphers", Support::kIgnored,
     "not supported per Ingress: the data plane's --tls-ciphers sets them for every host"},
    {"ssl-passthrough", Support::kDiffers,
     "TLS connections naming the hosts go to the \"/\" path's backend as they are, by SNI "
     "(needs --enable-ssl-passthrough on the control plane); plain HTTP for the hosts is not "
     "served"},
    {"ssl-prefer-server-ciphers", Support::kNotNeeded,
     "not needed: the data plane always prefers its own TLS 1.2 cipher order"},
    {"ssl-redirect", Support::kApplied,
     "false stops the 308 from HTTP to HTTPS for the hosts of the Ingress's spec.tls"},
    {"stream-snippet", Support::kRefused,
     "raw nginx stream configuration, never interpreted; TCP and UDP proxying has no equivalent"},
    {"temporal-redirect", Support::kApplied,
     "302 to this URL, expanded as permanent-redirect is; wins when both are set"},
    {"temporal-redirect-code", Support::kApplied,
     "the code of temporal-redirect, 300 to 308 (default 302)"},
    {"upstream-hash-by", Support::kDiffers,
     "only $remote_addr, $http_NAME or $cookie_NAME; no other variables or combinations"},
    {"upstream-hash-by-subset", Support::kIgnored,
     "not supported: consistent hashing picks one endpoint, not a subset"},
    {"upstream-hash-by-subset-size", Support::kIgnored,
     "not supported: consistent hashing picks one endpoint, not a subset"},
    {"upstream-vhost", Support::kDiffers,
     "the Host sent upstream; NAME or NAME:PORT only, nginx variables are not expanded"},
    {"use-regex", Support::kDiffers,
     "ImplementationSpecific paths are RE2 regexes for this Ingress only, not the whole host"},
    {"whitelist-source-range", Support::kApplied, "the older name of allowlist-source-range"},
    {"x-forwarded-prefix", Support::kApplied,
     "sets X-Forwarded-Prefix on the upstream request to this value"},
};

}  // namespace

absl::Span<const AnnotationInfo> AnnotationCatalog() { return kCatalog; }

const AnnotationInfo* FindAnnotationInfo(absl::string_view name) {
  const AnnotationInfo* end = std::end(kCatalog);
  const AnnotationInfo* it = std::lower_bound(
      std::begin(kCatalog), end, name,
      [](const AnnotationInfo& info, absl::string_view key) { return info.name < key; });
  return it != end && it->name == name ? it : nullptr;
}

}  // namespace gatehouse::controlplane::translate
