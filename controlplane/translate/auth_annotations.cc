// The authentication annotations, read as ingress-nginx reads them.
// Basic (its annotations documentation, "Authentication", and internal/ingress/annotations/auth):
// auth-type must be basic or digest, and without it no authentication applies; auth-secret is
// required with it; auth-secret-type is auth-file, the default, or auth-map; any error denies
// the location, which then answers 503. Digest authentication is refused here: its MD5
// challenge is obsolete.
// External ("External Authentication", internal/ingress/annotations/authreq): an auth-url that
// cannot be used, an auth-method that is no method, or an auth-response-headers entry that is no
// header name denies the location (503); a bad auth-signin, auth-signin-redirect-param or
// auth-request-redirect is reported and left out.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"
#include "common/location_template.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

// As the data plane's BasicAuth filter takes it.
constexpr size_t kMaxRealmBytes = 256;
// As the data plane's ExternalAuth filter takes them.
constexpr size_t kMaxResponseHeaders = 32;
constexpr uint32_t kMaxAuthTimeoutSeconds = 300;

// The methods ingress-nginx accepts for auth-method.
bool IsAuthMethod(absl::string_view method) {
  for (absl::string_view known :
       {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}) {
    if (method == known) return true;
  }
  return false;
}

void ParseExternalAuth(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AnnotationValue url = LookupAnnotation(ingress, kAuthUrlAnnotation);
  if (url.value == nullptr) {
    for (absl::string_view name :
         {kAuthSigninAnnotation, kAuthResponseHeadersAnnotation, kAuthMethodAnnotation,
          kAuthCacheKeyAnnotation, kAuthCacheDurationAnnotation}) {
      if (AnnotationValue alone = LookupAnnotation(ingress, name); alone.value != nullptr) {
        parsed->errors.push_back(
            absl::StrCat("annotation ", alone.key, ": no auth-url to apply it to"));
      }
    }
    return;
  }
  ExternalAuthAnnotations& auth = parsed->values.access.external_auth.emplace();
  auto refuse = [&](std::string why) {
    auth.refused = absl::StrCat(why, "; every request gets 503 until it is mended");
    parsed->errors.push_back(auth.refused);
  };
  absl::string_view text = absl::StripAsciiWhitespace(*url.value);
  if (absl::StrContains(text, '$')) {
    return refuse(
        absl::StrCat("annotation ", url.key, ": ", QuoteForMessage(*url.value),
                     " holds a variable; name the auth service's Service of this namespace instead "
                     "(http://NAME.NAMESPACE.svc.cluster.local/PATH)"));
  }
  if (std::string why = ReadServiceUrl(text, &auth.url); !why.empty()) {
    return refuse(
        absl::StrCat("annotation ", url.key, ": ", QuoteForMessage(*url.value), " ", why));
  }
  if (auth.url.target.empty()) auth.url.target = "/";
  // As the data plane checks it: sent as it is, so never a space or control character.
  if (!IsOriginFormTarget(auth.url.target)) {
    return refuse(absl::StrCat("annotation ", url.key, ": ", QuoteForMessage(*url.value),
                               " has a path with a space or control character"));
  }
  if (AnnotationValue method = LookupAnnotation(ingress, kAuthMethodAnnotation);
      method.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*method.value);
    if (!IsAuthMethod(value)) {
      return refuse(absl::StrCat("annotation ", method.key, ": ", QuoteForMessage(*method.value),
                                 " is not an HTTP method"));
    }
    auth.method = std::string(value);
  }
  if (AnnotationValue headers = LookupAnnotation(ingress, kAuthResponseHeadersAnnotation);
      headers.value != nullptr) {
    for (absl::string_view name : absl::StrSplit(*headers.value, ',', absl::SkipWhitespace())) {
      name = absl::StripAsciiWhitespace(name);
      if (!IsToken(name) || !IsEditableHeaderName(name)) {
        return refuse(absl::StrCat("annotation ", headers.key, ": ", QuoteForMessage(name),
                                   " is not a header the request may carry"));
      }
      auth.response_headers.emplace_back(name);
    }
    if (auth.response_headers.size() > kMaxResponseHeaders) {
      return refuse(absl::StrCat("annotation ", headers.key, ": more than ", kMaxResponseHeaders,
                                 " headers"));
    }
  }
  if (AnnotationValue signin = LookupAnnotation(ingress, kAuthSigninAnnotation);
      signin.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*signin.value);
    if (absl::StatusOr<LocationTemplate> parsed_signin = LocationTemplate::Parse(value);
        parsed_signin.ok()) {
      auth.signin = std::string(value);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", signin.key, ": ",
                                            parsed_signin.status().message(),
                                            "; a 401 from the auth service is the answer"));
    }
  }
  if (AnnotationValue param = LookupAnnotation(ingress, kAuthSigninRedirectParamAnnotation);
      param.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*param.value);
    if (IsToken(value) && value.size() <= 64) {
      auth.signin_param = std::string(value);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", param.key, ": ",
                                            QuoteForMessage(*param.value),
                                            " is not a parameter name; using rd"));
    }
  }
  if (AnnotationValue redirect = LookupAnnotation(ingress, kAuthRequestRedirectAnnotation);
      redirect.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*redirect.value);
    if (IsFieldValue(value) && value.size() <= 2048) {
      auth.request_redirect = std::string(value);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", redirect.key, ": ",
                                            QuoteForMessage(*redirect.value),
                                            " is not a header value; the request URI is sent"));
    }
  }
  if (AnnotationValue timeout = LookupAnnotation(ingress, kAuthTimeoutAnnotation);
      timeout.value != nullptr) {
    uint32_t seconds = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*timeout.value), &seconds) && seconds >= 1 &&
        seconds <= kMaxAuthTimeoutSeconds) {
      auth.timeout_ms = seconds * 1000;
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", timeout.key, ": ", QuoteForMessage(*timeout.value),
                       " is not whole seconds from 1 to ", kMaxAuthTimeoutSeconds, "; using 5"));
    }
  }
  ParseAuthCacheAnnotations(ingress, &auth, parsed);
}

}  // namespace

void ParseAuthAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  ParseExternalAuth(ingress, parsed);
  AnnotationValue type = LookupAnnotation(ingress, kAuthTypeAnnotation);
  AnnotationValue secret = LookupAnnotation(ingress, kAuthSecretAnnotation);
  if (type.value == nullptr) {
    if (secret.value != nullptr) {
      parsed->errors.push_back(absl::StrCat(
          "annotation ", secret.key,
          ": no auth-type is set, so no authentication applies (as in ingress-nginx); set "
          "auth-type: basic"));
    }
    return;
  }
  BasicAuthAnnotations& auth = parsed->values.access.basic_auth.emplace();
  auto refuse = [&](std::string why) {
    auth.refused = absl::StrCat(why, "; every request gets 503 until it is mended");
    parsed->errors.push_back(auth.refused);
  };
  std::string kind = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*type.value));
  if (kind == "digest") {
    return refuse(absl::StrCat("annotation ", type.key,
                               ": digest authentication is not supported (its MD5 challenge is "
                               "obsolete); use basic over HTTPS"));
  }
  if (kind != "basic") {
    return refuse(absl::StrCat("annotation ", type.key, ": ", QuoteForMessage(*type.value),
                               " is not basic or digest"));
  }
  if (AnnotationValue realm = LookupAnnotation(ingress, kAuthRealmAnnotation);
      realm.value != nullptr) {
    if (IsQuotedStringText(*realm.value, kMaxRealmBytes)) {
      auth.realm = *realm.value;
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", realm.key, ": ", QuoteForMessage(*realm.value),
                       " holds a quote, a backslash or a control character, or is over ",
                       kMaxRealmBytes, " bytes; the realm is empty"));
    }
  }
  if (AnnotationValue form = LookupAnnotation(ingress, kAuthSecretTypeAnnotation);
      form.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*form.value));
    if (value == "auth-map") {
      auth.auth_map = true;
    } else if (value != "auth-file") {
      return refuse(absl::StrCat("annotation ", form.key, ": ", QuoteForMessage(*form.value),
                                 " is not auth-file or auth-map"));
    }
  }
  if (secret.value == nullptr) {
    return refuse(absl::StrCat("annotation ", type.key, ": basic needs auth-secret"));
  }
  std::optional<std::string> name =
      SecretInNamespace(*secret.value, ingress.metadata().namespace_());
  if (!name.has_value()) {
    return refuse(absl::StrCat("annotation ", secret.key, ": ", QuoteForMessage(*secret.value),
                               " is not a Secret name in the Ingress's namespace; only that "
                               "namespace's Secrets are read"));
  }
  auth.secret = *std::move(name);
}

}  // namespace gatehouse::controlplane::translate
