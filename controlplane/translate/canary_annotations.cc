// The canary annotations, read as ingress-nginx reads them (its annotations documentation,
// "Canary", and its e2e tests, test/e2e/annotations/canary.go). Every name that reaches a header
// lookup is a token and every pattern compiles within the data plane's regex budget; a value that
// cannot be used is reported and left out.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/backend_limits.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "common/path_regex.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

void Refuse(const AnnotationValue& found, absl::string_view why, ParsedAnnotations* parsed) {
  parsed->errors.push_back(
      absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(*found.value), " ", why));
}

// A whole number from `min` to the data plane's largest weight, else `fallback` (reported).
uint32_t ReadWeight(const objects::kube::Ingress& ingress, absl::string_view name, uint32_t min,
                    uint32_t fallback, ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, name);
  if (found.value == nullptr) return fallback;
  uint32_t weight = 0;
  if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*found.value), &weight) && weight >= min &&
      weight <= kMaxClusterWeight) {
    return weight;
  }
  Refuse(found,
         absl::StrCat("is not a whole number from ", min, " to ", kMaxClusterWeight, "; using ",
                      fallback),
         parsed);
  return fallback;
}

// A header or cookie name: a token (no separators, no CR LF), else empty (reported).
std::string ReadName(const objects::kube::Ingress& ingress, absl::string_view name,
                     absl::string_view what, ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, name);
  if (found.value == nullptr) return std::string();
  absl::string_view value = absl::StripAsciiWhitespace(*found.value);
  if (IsToken(value)) return std::string(value);
  Refuse(found, absl::StrCat("is not a ", what, " name; left out"), parsed);
  return std::string();
}

}  // namespace

void ParseCanaryAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  CanaryAnnotations& out = parsed->values.canary;
  AnnotationValue enabled = LookupAnnotation(ingress, kCanaryAnnotation);
  if (enabled.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*enabled.value));
    if (value == "true" || value == "false") {
      out.enabled = value == "true";
    } else {
      Refuse(enabled, "is not true or false; the Ingress is not a canary", parsed);
    }
  }
  if (!out.enabled) {
    // As in ingress-nginx: the other canary annotations mean nothing without it.
    for (absl::string_view name : {kCanaryByHeaderAnnotation, kCanaryByHeaderValueAnnotation,
                                   kCanaryByHeaderPatternAnnotation, kCanaryByCookieAnnotation,
                                   kCanaryWeightAnnotation, kCanaryWeightTotalAnnotation}) {
      AnnotationValue found = LookupAnnotation(ingress, name);
      if (found.value != nullptr) {
        parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": set, but ", kNginxPrefix,
                                              kCanaryAnnotation, " is not \"true\"; ignored"));
      }
    }
    return;
  }
  out.weight_total = ReadWeight(ingress, kCanaryWeightTotalAnnotation, 1, 100, parsed);
  out.weight =
      std::min(ReadWeight(ingress, kCanaryWeightAnnotation, 0, 0, parsed), out.weight_total);
  out.rule.set_header(ReadName(ingress, kCanaryByHeaderAnnotation, "header", parsed));
  out.rule.set_cookie(ReadName(ingress, kCanaryByCookieAnnotation, "cookie", parsed));
  AnnotationValue value = LookupAnnotation(ingress, kCanaryByHeaderValueAnnotation);
  AnnotationValue pattern = LookupAnnotation(ingress, kCanaryByHeaderPatternAnnotation);
  for (const AnnotationValue* found : {&value, &pattern}) {
    if (found->value != nullptr && out.rule.header().empty()) {
      parsed->errors.push_back(absl::StrCat("annotation ", found->key, ": set without a usable ",
                                            kCanaryByHeaderAnnotation, "; ignored"));
    }
  }
  if (out.rule.header().empty()) return;
  if (value.value != nullptr) {
    // Compared with the header's value byte for byte: it must be one a client can send.
    if (IsFieldValue(*value.value) && !value.value->empty()) {
      out.rule.set_header_value(*value.value);
    } else {
      Refuse(value, "is not a header value; left out", parsed);
    }
  }
  if (pattern.value != nullptr) {
    if (!out.rule.header_value().empty()) {
      parsed->errors.push_back(absl::StrCat("annotation ", pattern.key, ": ignored, as ",
                                            kCanaryByHeaderValueAnnotation,
                                            " is set (it wins, as in ingress-nginx)"));
    } else if (absl::StatusOr<std::shared_ptr<const re2::RE2>> regex =
                   CompileValueRegex(*pattern.value);
               !regex.ok()) {
      parsed->errors.push_back(
          absl::StrCat("annotation ", pattern.key, ": ", regex.status().message(), "; left out"));
    } else {
      out.rule.set_header_pattern(*pattern.value);
    }
  }
}

}  // namespace gatehouse::controlplane::translate
