// The header annotations, checked here with the data plane's own rules (common/http_syntax):
// ingress-nginx's x-forwarded-prefix and upstream-vhost (its annotation documentation), and our
// request-headers and response-headers, which stand in for the header lines of nginx snippets.
// Snippets themselves are raw nginx configuration and are never interpreted: each is reported.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/snippet_advice.h"
#include "yaml-cpp/yaml.h"

namespace gatehouse::controlplane::translate {
namespace {

// A headers annotation longer than this is refused before it is parsed.
constexpr size_t kMaxHeadersAnnotationBytes = 8192;

// "Name: value" lines (a YAML map of strings) into `out`'s set list, or why not.
absl::Status ReadHeaderMap(const std::string& text, gatehouse::v1::HeaderModifier& out) {
  if (text.size() > kMaxHeadersAnnotationBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("is longer than ", kMaxHeadersAnnotationBytes, " bytes"));
  }
  YAML::Node map;
  try {
    map = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("is not YAML: ", QuoteForMessage(error.msg)));
  }
  if (!map.IsMap()) return absl::InvalidArgumentError("is not a map of header names to values");
  if (map.size() > static_cast<size_t>(kMaxHeaderEdits)) {
    return absl::InvalidArgumentError(absl::StrCat("sets more than ", kMaxHeaderEdits, " headers"));
  }
  gatehouse::v1::HeaderModifier parsed;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar() || !entry.second.IsScalar()) {
      return absl::InvalidArgumentError("is not a map of header names to values");
    }
    std::string name = entry.first.Scalar();
    std::string value = entry.second.Scalar();
    if (!IsEditableHeaderName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("header ", QuoteForMessage(name),
                       " may not be set (not a token, or a framing, hop-by-hop or Host header)"));
    }
    if (!value.empty() && !IsFieldValue(value)) {
      return absl::InvalidArgumentError(absl::StrCat("header ", name, ": ", QuoteForMessage(value),
                                                     " is not a valid field value"));
    }
    gatehouse::v1::Header& header = *parsed.add_set();
    header.set_name(name);
    header.set_value(value);
  }
  for (gatehouse::v1::Header& header : *parsed.mutable_set()) *out.add_set() = header;
  return absl::OkStatus();
}

void ReadHeadersAnnotation(const objects::kube::Ingress& ingress, absl::string_view name,
                           gatehouse::v1::HeaderModifier& out, ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, name);
  if (found.value == nullptr) return;
  if (absl::Status read = ReadHeaderMap(*found.value, out); !read.ok()) {
    parsed->errors.push_back(
        absl::StrCat("annotation ", found.key, ": ", read.message(), "; no headers set"));
  }
}

}  // namespace

void ParseHeaderAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  HeaderAnnotations& out = parsed->values.headers;
  if (AnnotationValue found = LookupAnnotation(ingress, kXForwardedPrefixAnnotation);
      found.value != nullptr) {
    absl::string_view value = absl::StripAsciiWhitespace(*found.value);
    if (!value.empty() && IsFieldValue(value)) {
      gatehouse::v1::Header& header = *out.request.add_set();
      header.set_name("X-Forwarded-Prefix");
      header.set_value(std::string(value));
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not a valid header value; not sent"));
    }
  }
  ReadHeadersAnnotation(ingress, kRequestHeadersAnnotation, out.request, parsed);
  ReadHeadersAnnotation(ingress, kResponseHeadersAnnotation, out.response, parsed);
  if (out.request.set_size() > kMaxHeaderEdits) {
    out.request.clear_set();
    parsed->errors.push_back(
        absl::StrCat("more than ", kMaxHeaderEdits, " request headers set; none are"));
  }
  if (AnnotationValue found = LookupAnnotation(ingress, kUpstreamVhostAnnotation);
      found.value != nullptr) {
    std::string host = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*found.value));
    if (IsHostAndPort(host)) {
      out.upstream_host = host;
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(*found.value),
                       " is not NAME or NAME:PORT; the client's Host is sent"));
    }
  }
  for (absl::string_view snippet : kSnippetAnnotations) {
    AnnotationValue found = LookupAnnotation(ingress, snippet);
    if (found.value == nullptr) continue;
    std::string message =
        absl::StrCat("annotation ", found.key, ": raw nginx configuration is never interpreted");
    for (const std::string& advice : SnippetAdvice(*found.value)) {
      absl::StrAppend(&message, "; ", advice);
    }
    parsed->errors.push_back(std::move(message));
  }
}

}  // namespace gatehouse::controlplane::translate
