// mirror-target, mirror-host and mirror-request-body, read as ingress-nginx reads them (its
// annotations documentation, "Mirror", and nginx's mirror and mirror_request_body): the target
// is a URL, the Host of the copy is mirror-host or else the URL's host, and the body goes with
// the copy unless mirror-request-body is "off".
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {

std::string ReadServiceUrl(absl::string_view url, ServiceUrl* out) {
  size_t scheme_end = url.find("://");
  std::string scheme =
      absl::AsciiStrToLower(url.substr(0, scheme_end == absl::string_view::npos ? 0 : scheme_end));
  if (scheme != "http" && scheme != "https") return "is not an http:// or https:// URL";
  url.remove_prefix(scheme_end + 3);
  out->tls = scheme == "https";
  size_t authority_end = url.find_first_of("/?$");
  absl::string_view authority = url.substr(0, authority_end);
  out->target =
      authority_end == absl::string_view::npos ? "" : std::string(url.substr(authority_end));
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return "has an unclosed [ in its host";
    host = authority.substr(1, close - 1);
    absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) return "has text after its host";
    port = rest;
  } else if (size_t colon = authority.find(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  out->host = absl::AsciiStrToLower(host);
  if (!IsDnsName(out->host) && !IsIpAddress(out->host)) {
    return "has no host name or IP address";
  }
  out->port = out->tls ? 443 : 80;
  if (!port.empty() &&
      (!absl::SimpleAtoi(port, &out->port) || out->port < 1 || out->port > 65535)) {
    return "has a port that is not 1 to 65535";
  }
  if (!out->target.empty() && out->target.front() == '?') {
    out->target.insert(0, "/");
  }
  return "";
}

void ParseMirrorAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AnnotationValue target = LookupAnnotation(ingress, kMirrorTargetAnnotation);
  AnnotationValue host = LookupAnnotation(ingress, kMirrorHostAnnotation);
  AnnotationValue body = LookupAnnotation(ingress, kMirrorRequestBodyAnnotation);
  if (target.value == nullptr) {
    for (const AnnotationValue* alone : {&host, &body}) {
      if (alone->value != nullptr) {
        parsed->errors.push_back(
            absl::StrCat("annotation ", alone->key, ": no mirror-target to apply it to"));
      }
    }
    return;
  }
  MirrorAnnotations mirror;
  std::string problem = ReadServiceUrl(absl::StripAsciiWhitespace(*target.value), &mirror);
  if (!problem.empty()) {
    parsed->errors.push_back(absl::StrCat("annotation ", target.key, ": ",
                                          QuoteForMessage(*target.value), " ", problem,
                                          "; requests are not mirrored"));
    return;
  }
  // An IPv6 address is no Host value: the copy then keeps the request's own Host.
  if (!absl::StrContains(mirror.host, ':')) mirror.host_header = mirror.host;
  if (host.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*host.value));
    if (IsHostAndPort(value)) {
      mirror.host_header = std::move(value);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", host.key, ": ",
                                            QuoteForMessage(*host.value),
                                            " is not a host name; the URL's host is sent"));
    }
  }
  if (body.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*body.value));
    if (value == "on" || value == "off") {
      mirror.with_body = value == "on";
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", body.key, ": ",
                                            QuoteForMessage(*body.value),
                                            " is not on or off; the body is sent"));
    }
  }
  parsed->values.mirror = std::move(mirror);
}

}  // namespace gatehouse::controlplane::translate
