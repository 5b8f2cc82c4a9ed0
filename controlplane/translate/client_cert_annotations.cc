// The client-certificate annotations, read as ingress-nginx reads them (its annotations
// documentation, "Client Certificate Authentication", and internal/ingress/annotations/authtls):
// auth-tls-verify-client is on, off, optional or optional_no_ca, "on" when unset or unknown;
// auth-tls-verify-depth is a positive number, 1 when unset or not one; auth-tls-error-page is
// where a refused request is redirected; auth-tls-match-cn starts with "CN=" and is a regex
// (compiled here as the data plane compiles it, within its budget). A Secret that cannot be
// named, or a match-cn that cannot be used, denies the hosts (503), where ingress-nginx would
// serve them without the check.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "common/path_regex.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

// Deep enough for any real PKI; each level is a signature check per handshake.
constexpr uint32_t kMaxVerifyDepth = 10;

// Why auth-tls-match-cn's value cannot be used, or "": as ingress-nginx, it starts with "CN="
// and is a regex (matched whole, "CN=" included, against the subject).
std::string SubjectMatchProblem(const std::string& value) {
  if (!absl::StartsWith(value, "CN=")) return "does not start with CN=";
  absl::StatusOr<std::shared_ptr<const re2::RE2>> compiled = CompileValueRegex(value);
  if (!compiled.ok()) return absl::StrCat("is not a usable regex: ", compiled.status().message());
  return "";
}

}  // namespace

void ParseClientCertAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AnnotationValue secret = LookupAnnotation(ingress, kAuthTlsSecretAnnotation);
  if (secret.value == nullptr) {
    for (absl::string_view name : {kAuthTlsVerifyClientAnnotation, kAuthTlsVerifyDepthAnnotation,
                                   kAuthTlsErrorPageAnnotation, kAuthTlsPassCertificateAnnotation,
                                   kAuthTlsMatchCnAnnotation}) {
      if (AnnotationValue alone = LookupAnnotation(ingress, name); alone.value != nullptr) {
        parsed->errors.push_back(
            absl::StrCat("annotation ", alone.key, ": no auth-tls-secret to apply it to"));
      }
    }
    return;
  }
  ClientCertAnnotations settings;
  if (AnnotationValue mode = LookupAnnotation(ingress, kAuthTlsVerifyClientAnnotation);
      mode.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*mode.value));
    if (value == "off") return;  // no certificate is asked for
    if (value == "optional") {
      settings.mode = gatehouse::v1::ClientCertificate::OPTIONAL;
    } else if (value == "optional_no_ca") {
      settings.mode = gatehouse::v1::ClientCertificate::OPTIONAL_NO_CA;
    } else if (value != "on") {
      parsed->errors.push_back(
          absl::StrCat("annotation ", mode.key, ": ", QuoteForMessage(*mode.value),
                       " is not on, off, optional or optional_no_ca; using on"));
    }
  }
  if (AnnotationValue depth = LookupAnnotation(ingress, kAuthTlsVerifyDepthAnnotation);
      depth.value != nullptr) {
    uint32_t value = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*depth.value), &value) && value >= 1 &&
        value <= kMaxVerifyDepth) {
      settings.verify_depth = value;
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", depth.key, ": ", QuoteForMessage(*depth.value),
                       " is not a whole number from 1 to ", kMaxVerifyDepth, "; using 1"));
    }
  }
  if (AnnotationValue page = LookupAnnotation(ingress, kAuthTlsErrorPageAnnotation);
      page.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*page.value);
    if (IsAbsoluteHttpUrl(value)) {
      settings.error_page = std::string(value);
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", page.key, ": ", QuoteForMessage(*page.value),
                       " is not an absolute http(s) URL without spaces; refused requests get 400"));
    }
  }
  if (AnnotationValue pass = LookupAnnotation(ingress, kAuthTlsPassCertificateAnnotation);
      pass.value != nullptr) {
    settings.pass_certificate = ReadTrueFalse(pass, false, "the certificate is not passed", parsed);
  }
  std::optional<std::string> name =
      SecretInNamespace(*secret.value, ingress.metadata().namespace_());
  if (AnnotationValue match = LookupAnnotation(ingress, kAuthTlsMatchCnAnnotation);
      match.value != nullptr) {
    std::string problem = SubjectMatchProblem(*match.value);
    if (problem.empty()) {
      settings.subject_match = *match.value;
    } else {
      settings.refused =
          absl::StrCat("annotation ", match.key, ": ", QuoteForMessage(*match.value), " ", problem,
                       "; every request to the Ingress's hosts gets 503 until it is mended");
      parsed->errors.push_back(settings.refused);
    }
  }
  if (name.has_value()) {
    settings.secret = *std::move(name);
  } else {
    std::string why = absl::StrCat(
        "annotation ", secret.key, ": ", QuoteForMessage(*secret.value),
        " is not a Secret name in the Ingress's namespace; only that namespace's Secrets are "
        "read; every request to its hosts gets 503 until it is mended");
    parsed->errors.push_back(why);
    if (settings.refused.empty()) settings.refused = std::move(why);
  }
  parsed->values.access.client_cert = std::move(settings);
}

}  // namespace gatehouse::controlplane::translate
