// proxy-next-upstream, proxy-next-upstream-tries and proxy-next-upstream-timeout, read as
// ingress-nginx reads them (its annotations documentation, "Custom timeouts" and the
// proxy-next-upstream entries, and nginx's proxy_next_upstream): when any is set, the route gets
// a retry policy, with ingress-nginx's defaults for the others ("error timeout", 3 tries, no
// time limit).
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/backend_limits.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

// Reads the failures list into `policy`; false (reported) when a word is not one nginx knows.
bool ReadConditions(const AnnotationValue& found, gatehouse::v1::RetryPolicy* policy,
                    ParsedAnnotations* parsed) {
  gatehouse::v1::RetryPolicy read;
  bool off = false;
  for (absl::string_view word : absl::StrSplit(*found.value, ' ', absl::SkipWhitespace())) {
    std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(word));
    uint32_t status = 0;
    if (lower == "error" || lower == "invalid_header") {
      read.set_on_error(true);  // a response the proxy cannot read breaks the exchange
    } else if (lower == "timeout") {
      read.set_on_timeout(true);
    } else if (lower == "non_idempotent") {
      read.set_non_idempotent(true);
    } else if (lower == "off") {
      off = true;
    } else if (absl::string_view code = lower;
               absl::ConsumePrefix(&code, "http_") && absl::SimpleAtoi(code, &status) &&
               (status == 403 || status == 404 || status == 429 || status == 500 || status == 502 ||
                status == 503 || status == 504)) {
      read.add_statuses(status);
    } else {
      parsed->errors.push_back(absl::StrCat(
          "annotation ", found.key, ": ", QuoteForMessage(word),
          " is not error, timeout, invalid_header, http_403, http_404, http_429, http_500, "
          "http_502, http_503, http_504, non_idempotent or off; the default \"error timeout\" "
          "applies"));
      return false;
    }
  }
  if (off) read.Clear();  // nothing is retried
  policy->set_on_error(read.on_error());
  policy->set_on_timeout(read.on_timeout());
  policy->set_non_idempotent(read.non_idempotent());
  *policy->mutable_statuses() = read.statuses();
  return true;
}

}  // namespace

void ParseRetryAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AnnotationValue conditions = LookupAnnotation(ingress, kProxyNextUpstreamAnnotation);
  AnnotationValue tries = LookupAnnotation(ingress, kProxyNextUpstreamTriesAnnotation);
  AnnotationValue timeout = LookupAnnotation(ingress, kProxyNextUpstreamTimeoutAnnotation);
  if (conditions.value == nullptr && tries.value == nullptr && timeout.value == nullptr) return;
  gatehouse::v1::RetryPolicy& policy = parsed->values.retry.emplace();
  policy.set_on_error(true);
  policy.set_on_timeout(true);
  policy.set_tries(3);
  if (conditions.value != nullptr) ReadConditions(conditions, &policy, parsed);
  if (tries.value != nullptr) {
    uint32_t count = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*tries.value), &count) &&
        count <= kMaxRetryTries) {
      policy.set_tries(count);
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", tries.key, ": ", QuoteForMessage(*tries.value),
                       " is not a whole number from 0 to ", kMaxRetryTries, "; 3 tries apply"));
    }
  }
  if (timeout.value != nullptr) {
    uint32_t seconds = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*timeout.value), &seconds) &&
        seconds <= kMaxRouteTimeoutMs / 1000) {
      policy.set_timeout_ms(seconds * 1000);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", timeout.key, ": ",
                                            QuoteForMessage(*timeout.value),
                                            " is not a whole number of seconds from 0 to ",
                                            kMaxRouteTimeoutMs / 1000, "; no time limit applies"));
    }
  }
}

}  // namespace gatehouse::controlplane::translate
