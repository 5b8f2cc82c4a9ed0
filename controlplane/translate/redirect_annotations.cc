// The redirect annotations, read as ingress-nginx reads them (its annotations documentation and
// its e2e tests, test/e2e/annotations/redirect.go, approot.go, fromtowwwredirect.go and
// forcesslredirect.go): every value that reaches a Location header is checked here, with the
// data plane's own parser (common/location_template), and a value that cannot be used is
// reported and left out.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/location_template.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

// The code of `code_annotation` when set and from 300 to 308, else `fallback` (reported when set
// but unusable, where ingress-nginx falls back silently).
uint32_t ReadCode(const objects::kube::Ingress& ingress, absl::string_view code_annotation,
                  uint32_t fallback, ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, code_annotation);
  if (found.value == nullptr) return fallback;
  uint32_t code = 0;
  if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*found.value), &code) && code >= 300 &&
      code <= 308) {
    return code;
  }
  parsed->errors.push_back(
      absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(*found.value),
                   " is not a redirect code from 300 to 308; using ", fallback));
  return fallback;
}

// A redirect URL: absolute http or https, its variables known, fit for a Location header.
absl::Status CheckRedirectUrl(absl::string_view url) {
  absl::StatusOr<LocationTemplate> location = LocationTemplate::Parse(url);
  if (!location.ok()) return location.status();
  std::string example = absl::AsciiStrToLower(location->Expand("/p?q", "host.test", "https"));
  if (!absl::StartsWith(example, "http://") && !absl::StartsWith(example, "https://")) {
    return absl::InvalidArgumentError("is not an absolute http:// or https:// URL");
  }
  return absl::OkStatus();
}

void ReadRedirect(const objects::kube::Ingress& ingress, absl::string_view url_annotation,
                  absl::string_view code_annotation, uint32_t default_code,
                  ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, url_annotation);
  if (found.value == nullptr) return;
  std::string url(absl::StripAsciiWhitespace(*found.value));
  if (absl::Status valid = CheckRedirectUrl(url); !valid.ok()) {
    parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(url), " ",
                                          valid.message(), "; not redirecting"));
    return;
  }
  gatehouse::v1::Redirect& redirect = parsed->values.redirects.redirect.emplace();
  redirect.set_location(url);
  redirect.set_code(ReadCode(ingress, code_annotation, default_code, parsed));
}

}  // namespace

void ParseRedirectAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  RedirectAnnotations& out = parsed->values.redirects;
  // The temporal redirect wins over the permanent one, as in ingress-nginx.
  ReadRedirect(ingress, kTemporalRedirectAnnotation, kTemporalRedirectCodeAnnotation, 302, parsed);
  if (!out.redirect.has_value()) {
    ReadRedirect(ingress, kPermanentRedirectAnnotation, kPermanentRedirectCodeAnnotation, 301,
                 parsed);
  }
  if (AnnotationValue found = LookupAnnotation(ingress, kAppRootAnnotation);
      found.value != nullptr) {
    absl::string_view path = absl::StripAsciiWhitespace(*found.value);
    if (IsAbsolutePathValue(path)) {
      out.app_root = std::string(path);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not an absolute path; no app-root redirect"));
    }
  }
  if (AnnotationValue found = LookupAnnotation(ingress, kFromToWwwRedirectAnnotation);
      found.value != nullptr) {
    out.from_to_www = ReadTrueFalse(found, false, "", parsed);
  }
  if (AnnotationValue found = LookupAnnotation(ingress, kForceSslRedirectAnnotation);
      found.value != nullptr) {
    out.force_ssl_redirect = ReadTrueFalse(found, false, "", parsed);
  }
}

}  // namespace gatehouse::controlplane::translate
