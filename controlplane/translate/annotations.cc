#include "controlplane/translate/annotations.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/backend_limits.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "controlplane/translate/options.h"
#include "controlplane/translate/routes.h"

namespace gatehouse::controlplane::translate {
namespace {

using Found = AnnotationValue;

// Whether `name` is a Kubernetes object name (DNS-1123 subdomain): lower-case alphanumerics, '-'
// and '.', starting and ending alphanumeric, at most 253 characters.
bool IsDnsSubdomain(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return false;
    }
  }
  return absl::ascii_isalnum(static_cast<unsigned char>(name.front())) &&
         absl::ascii_isalnum(static_cast<unsigned char>(name.back()));
}

Found Lookup(const objects::kube::Ingress& ingress, absl::string_view name) {
  return LookupAnnotation(ingress, name);
}

}  // namespace

std::optional<std::string> SecretInNamespace(absl::string_view value, const std::string& ns) {
  // ingress-nginx takes "namespace/name"; a bare name is in the Ingress's namespace. Only that
  // namespace is read: another tenant's Secret is neither used nor looked up, so the answer is
  // the same whether it exists or not.
  value = absl::StripAsciiWhitespace(value);
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrContains(value, '/') ? absl::StrSplit(value, absl::MaxSplits('/', 1))
                                    : std::pair<absl::string_view, absl::string_view>(ns, value);
  if (parts.first != ns || !IsDnsSubdomain(parts.second)) return std::nullopt;
  return absl::StrCat(parts.first, "/", parts.second);
}

bool ReadTrueFalse(const AnnotationValue& found, bool fallback, absl::string_view otherwise,
                   ParsedAnnotations* parsed) {
  std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*found.value));
  if (value == "true" || value == "false") return value == "true";
  parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                        QuoteForMessage(*found.value), " is not true or false",
                                        otherwise.empty() ? "" : "; ", otherwise));
  return fallback;
}

namespace {

void ParseLoadBalancing(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  gatehouse::v1::LoadBalancing& out = parsed->values.load_balancing;
  if (Found found = Lookup(ingress, kLoadBalanceAnnotation); found.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*found.value));
    if (value == "round_robin") {
      out.set_policy(gatehouse::v1::LoadBalancing::ROUND_ROBIN);
    } else if (value == "least_request" || value == "ewma") {
      out.set_policy(gatehouse::v1::LoadBalancing::LEAST_REQUEST);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not round_robin or least_request; using "
                                            "round_robin"));
    }
  }
  if (Found found = Lookup(ingress, kUpstreamHashByAnnotation); found.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*found.value);
    if (value == "$remote_addr" || value == "$binary_remote_addr") {
      out.set_client_ip(true);
    } else if (absl::ConsumePrefix(&value, "$http_") && IsToken(value)) {
      out.set_header(absl::StrReplaceAll(absl::AsciiStrToLower(value), {{"_", "-"}}));
    } else if (absl::ConsumePrefix(&value, "$cookie_") && IsToken(value)) {
      out.set_cookie(std::string(value));
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(*found.value),
                       " is not $remote_addr, $http_NAME or $cookie_NAME; no hashing applies"));
    }
    if (out.hash_key_case() != gatehouse::v1::LoadBalancing::HASH_KEY_NOT_SET) {
      out.set_policy(gatehouse::v1::LoadBalancing::CONSISTENT_HASH);
    }
  }
  if (Found found = Lookup(ingress, kAffinityAnnotation); found.value != nullptr) {
    if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(*found.value)) != "cookie") {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not cookie; no affinity applies"));
      return;
    }
    Found name = Lookup(ingress, kSessionCookieNameAnnotation);
    // The name goes into Set-Cookie: a cookie-name is a token (RFC 6265 section 4.1.1).
    if (name.value != nullptr && !name.value->empty() && !IsToken(*name.value)) {
      parsed->errors.push_back(absl::StrCat(
          "annotation ", name.key, ": ", QuoteForMessage(*name.value),
          " is not a cookie name (letters, digits and !#$%&'*+-.^_`|~); no affinity applies"));
      return;
    }
    out.set_cookie(name.value != nullptr && !name.value->empty() ? *name.value
                                                                 : std::string("INGRESSCOOKIE"));
    out.set_policy(gatehouse::v1::LoadBalancing::CONSISTENT_HASH);
    if (Found max_age = Lookup(ingress, kSessionCookieMaxAgeAnnotation); max_age.value != nullptr) {
      uint32_t seconds = 0;
      if (absl::SimpleAtoi(*max_age.value, &seconds)) {
        out.set_cookie_max_age_seconds(seconds);
      } else {
        parsed->errors.push_back(absl::StrCat("annotation ", max_age.key, ": ",
                                              QuoteForMessage(*max_age.value),
                                              " is not a number of seconds; the cookie lasts "
                                              "the session"));
      }
    }
  }
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  absl::string_view digits = absl::StripAsciiWhitespace(text);
  uint64_t unit = 1;
  if (!digits.empty()) {
    switch (absl::ascii_tolower(static_cast<unsigned char>(digits.back()))) {
      case 'k':
        unit = uint64_t{1} << 10;
        break;
      case 'm':
        unit = uint64_t{1} << 20;
        break;
      case 'g':
        unit = uint64_t{1} << 30;
        break;
      default:
        break;
    }
    if (unit != 1) digits.remove_suffix(1);
  }
  uint64_t count = 0;
  bool all_digits = !digits.empty();
  for (char c : digits)
    all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!all_digits || !absl::SimpleAtoi(digits, &count) || count > UINT64_MAX / unit) {
    return absl::InvalidArgumentError(
        absl::StrCat(QuoteForMessage(text), " is not a size (digits, then k, m or g)"));
  }
  return count * unit;
}

namespace {

void ParseUpstream(const objects::kube::Ingress& ingress, const std::string& ns,
                   ParsedAnnotations* parsed) {
  UpstreamAnnotations& out = parsed->values.upstream;
  if (Found found = Lookup(ingress, kBackendProtocolAnnotation); found.value != nullptr) {
    std::string value = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(*found.value));
    using Cluster = gatehouse::v1::Cluster;
    if (value == "HTTP" || value == "HTTPS") {
      out.protocol = Cluster::HTTP1;
      out.tls = value == "HTTPS";
    } else if (value == "GRPC" || value == "H2C" || value == "GRPCS") {
      out.protocol = Cluster::HTTP2;
      out.tls = value == "GRPCS";
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not HTTP, HTTPS, GRPC, GRPCS or H2C; using "
                                            "the Service port's protocol"));
    }
  }
  if (Found found = Lookup(ingress, kProxySslVerifyAnnotation); found.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*found.value));
    if (value == "on" || value == "true" || value == "off" || value == "false") {
      out.verify = value == "on" || value == "true";
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not on or off; not verifying"));
    }
  }
  if (Found found = Lookup(ingress, kProxySslSecretAnnotation); found.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*found.value);
    if (std::optional<std::string> secret = SecretInNamespace(value, ns); !secret.has_value()) {
      out.ca_secret_refused = true;
      out.ca_secret = std::string(value);
      parsed->errors.push_back(absl::StrCat(
          "annotation ", found.key, ": ", QuoteForMessage(*found.value),
          " is not a Secret name in the Ingress's namespace; only that namespace's Secrets are "
          "read"));
    } else {
      out.ca_secret = *std::move(secret);
    }
  }
  if (Found found = Lookup(ingress, kServiceUpstreamAnnotation); found.value != nullptr) {
    out.service_upstream = ReadTrueFalse(found, false, "the endpoints are used", parsed);
  }
  if (Found found = Lookup(ingress, kProxySslNameAnnotation); found.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*found.value);
    if (IsDnsName(value)) {
      out.server_name = std::string(value);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not a DNS name; using the Service's"));
    }
  }
}

// The three proxy timeouts, in whole seconds; a value that is not one is reported and left at
// the data plane's default.
void ParseTimeouts(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  gatehouse::v1::RouteTimeouts& out = parsed->values.timeouts;
  const std::pair<absl::string_view, void (gatehouse::v1::RouteTimeouts::*)(uint32_t)> fields[] = {
      {kProxyConnectTimeoutAnnotation, &gatehouse::v1::RouteTimeouts::set_connect_ms},
      {kProxyReadTimeoutAnnotation, &gatehouse::v1::RouteTimeouts::set_read_ms},
      {kProxySendTimeoutAnnotation, &gatehouse::v1::RouteTimeouts::set_send_ms}};
  for (const auto& [name, set] : fields) {
    Found found = Lookup(ingress, name);
    if (found.value == nullptr) continue;
    uint32_t seconds = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*found.value), &seconds) && seconds >= 1 &&
        seconds <= kMaxRouteTimeoutMs / 1000) {
      (out.*set)(seconds * 1000);
    } else {
      parsed->errors.push_back(absl::StrCat(
          "annotation ", found.key, ": ", QuoteForMessage(*found.value),
          " is not a whole number of seconds from 1 to ", kMaxRouteTimeoutMs / 1000,
          " (ingress-nginx's timeouts are unitless); the data plane's default applies"));
    }
  }
}

}  // namespace

AnnotationValue LookupAnnotation(const objects::kube::Ingress& ingress, absl::string_view name) {
  const auto& annotations = ingress.metadata().annotations();
  for (absl::string_view prefix : {kGatehousePrefix, kNginxPrefix}) {
    std::string key = absl::StrCat(prefix, name);
    auto it = annotations.find(key);
    if (it != annotations.end()) return {std::move(key), &it->second};
  }
  return {};
}

ParsedAnnotations ParseAnnotations(const objects::kube::Ingress& ingress) {
  ParsedAnnotations parsed;
  if (Found found = Lookup(ingress, kUseRegexAnnotation); found.value != nullptr) {
    parsed.values.use_regex = absl::AsciiStrToLower(*found.value) == "true";
  }
  if (Found found = Lookup(ingress, kServerAliasAnnotation); found.value != nullptr) {
    for (absl::string_view entry : absl::StrSplit(*found.value, ',', absl::SkipWhitespace())) {
      absl::string_view name = absl::StripAsciiWhitespace(entry);
      absl::StatusOr<std::string> domain = DomainForHost(name);
      if (domain.ok() && *domain != kAnyHost) {
        parsed.values.server_aliases.push_back(*domain);
      } else {
        parsed.errors.push_back(absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(name),
                                             " is not a host name; left out"));
      }
    }
  }
  if (Found found = Lookup(ingress, kRewriteTargetAnnotation); found.value != nullptr) {
    // Checked with each path's regex, where the Ingress's paths are translated.
    parsed.values.rewrite_target = std::string(absl::StripAsciiWhitespace(*found.value));
    parsed.values.use_regex = true;  // as in ingress-nginx
  }
  if (Found found = Lookup(ingress, kCustomHttpErrorsAnnotation); found.value != nullptr) {
    for (absl::string_view entry : absl::StrSplit(*found.value, ',', absl::SkipWhitespace())) {
      entry = absl::StripAsciiWhitespace(entry);
      uint32_t code = 0;
      if (absl::SimpleAtoi(entry, &code) && code >= 400 && code <= 599) {
        parsed.values.error_codes.push_back(code);
      } else {
        parsed.errors.push_back(absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(entry),
                                             " is not a status from 400 to 599; left out"));
      }
    }
  }
  if (Found found = Lookup(ingress, kDefaultBackendAnnotation); found.value != nullptr) {
    absl::string_view name = absl::StripAsciiWhitespace(*found.value);
    if (IsDnsLabel(name)) {
      parsed.values.default_backend = std::string(name);
    } else {
      parsed.errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                           QuoteForMessage(*found.value),
                                           " is not a Service name in the Ingress's namespace"));
    }
  }
  if (Found found = Lookup(ingress, kProxyBodySizeAnnotation); found.value != nullptr) {
    absl::StatusOr<uint64_t> size = ParseSize(*found.value);
    if (size.ok()) {
      parsed.values.max_request_body_bytes = *size;
    } else {
      parsed.errors.push_back(absl::StrCat("annotation ", found.key, ": ", size.status().message(),
                                           "; no limit applies"));
    }
  }
  if (Found found = Lookup(ingress, kSslPassthroughAnnotation); found.value != nullptr) {
    parsed.values.ssl_passthrough = ReadTrueFalse(found, false, "TLS is terminated here", &parsed);
  }
  if (Found found = Lookup(ingress, kSslRedirectAnnotation); found.value != nullptr) {
    parsed.values.ssl_redirect = ReadTrueFalse(found, true, "redirecting", &parsed);
  }
  ParseLoadBalancing(ingress, &parsed);
  ParseTimeouts(ingress, &parsed);
  ParseUpstream(ingress, ingress.metadata().namespace_(), &parsed);
  ParseRedirectAnnotations(ingress, &parsed);
  ParseHeaderAnnotations(ingress, &parsed);
  ParseCanaryAnnotations(ingress, &parsed);
  ParseRetryAnnotations(ingress, &parsed);
  ParseMirrorAnnotations(ingress, &parsed);
  ParseAccessAnnotations(ingress, &parsed);
  ParseAuthAnnotations(ingress, &parsed);
  ParseClientCertAnnotations(ingress, &parsed);
  return parsed;
}

}  // namespace gatehouse::controlplane::translate
