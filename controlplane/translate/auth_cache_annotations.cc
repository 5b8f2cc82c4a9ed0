// auth-cache-key and auth-cache-duration, read as ingress-nginx reads them (its annotations
// documentation, "External Authentication", and internal/ingress/annotations/authreq):
// auth-cache-key turns the cache on, with nginx variables for the key (here those of
// common/request_key.h; a key that cannot be read leaves the cache off, as ingress-nginx drops
// it); auth-cache-duration is a comma-separated list of nginx's proxy_cache_valid arguments:
// statuses (or "any"), then one or more times ("1h 30m", units ms s m h d w M y; 0 keeps
// nothing), the statuses 200, 301 and 302 when none is named; "200 202 401 5m" when unset. A
// duration that cannot be read denies the location (503), as in ingress-nginx.
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/request_key.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

constexpr char kDefaultDuration[] = "200 202 401 5m";
// As the data plane takes them.
constexpr size_t kMaxRules = 16;
constexpr int kMaxStatuses = 64;

// Seconds in one of nginx's time units; 0 for no unit. Milliseconds round up to a second.
uint64_t UnitSeconds(absl::string_view unit) {
  if (unit == "s") return 1;
  if (unit == "m") return 60;
  if (unit == "h") return 3600;
  if (unit == "d") return 86400;
  if (unit == "w") return 7 * 86400;
  if (unit == "M") return 30 * 86400;
  if (unit == "y") return 365 * 86400;
  return 0;
}

// One "CODE... TIME..." of auth-cache-duration, or why not.
std::string ReadRule(absl::string_view text, gatehouse::v1::AuthCacheRule* rule) {
  uint64_t seconds = 0;
  bool timed = false;
  for (absl::string_view element : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    uint32_t status = 0;
    if (element == "any") {
      if (timed) return "names a status after a time";
      rule->set_any_status(true);
      continue;
    }
    if (element.size() == 3 && absl::SimpleAtoi(element, &status)) {
      if (timed) return "names a status after a time";
      if (status < 100 || status > 599) return absl::StrCat("names status ", status);
      if (rule->statuses_size() == kMaxStatuses) {
        return absl::StrCat("names more than ", kMaxStatuses, " statuses");
      }
      rule->add_statuses(status);
      continue;
    }
    size_t digits = 0;
    while (digits < element.size() && absl::ascii_isdigit(element[digits])) ++digits;
    uint64_t count = 0;
    absl::string_view unit = element.substr(digits);
    if (digits == 0 || !absl::SimpleAtoi(element.substr(0, digits), &count)) {
      return absl::StrCat(QuoteForMessage(element), " is neither a status nor a time");
    }
    if (count > std::numeric_limits<uint32_t>::max()) return "is longer than 136 years";
    if (unit == "ms") {
      seconds += (count + 999) / 1000;
    } else if (uint64_t each = UnitSeconds(unit); each > 0) {
      seconds += count * each;
    } else {
      return absl::StrCat(QuoteForMessage(element), " is neither a status nor a time");
    }
    if (seconds > std::numeric_limits<uint32_t>::max()) return "is longer than 136 years";
    timed = true;
  }
  if (!timed) return "has no time";
  // A time of 0 keeps nothing of those statuses, nor lets a later entry keep them.
  if (rule->statuses_size() == 0 && !rule->any_status()) {
    for (uint32_t status : {200, 301, 302}) rule->add_statuses(status);
  }
  rule->set_seconds(static_cast<uint32_t>(seconds));
  return "";
}

}  // namespace

void ParseAuthCacheAnnotations(const objects::kube::Ingress& ingress, ExternalAuthAnnotations* auth,
                               ParsedAnnotations* parsed) {
  AnnotationValue key = LookupAnnotation(ingress, kAuthCacheKeyAnnotation);
  AnnotationValue duration = LookupAnnotation(ingress, kAuthCacheDurationAnnotation);
  if (key.value == nullptr) {
    if (duration.value != nullptr) {
      parsed->errors.push_back(
          absl::StrCat("annotation ", duration.key, ": no auth-cache-key, so no answer is kept"));
    }
    return;
  }
  absl::string_view text = absl::StripAsciiWhitespace(*key.value);
  if (absl::StatusOr<RequestKeyTemplate> parsed_key = RequestKeyTemplate::Parse(text);
      !parsed_key.ok()) {
    parsed->errors.push_back(absl::StrCat("annotation ", key.key, ": ", QuoteForMessage(*key.value),
                                          ": ", parsed_key.status().message(),
                                          "; no answer is kept, every request asks"));
    return;
  }
  std::vector<gatehouse::v1::AuthCacheRule> rules;
  absl::string_view list = duration.value != nullptr ? absl::string_view(*duration.value) : "";
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    gatehouse::v1::AuthCacheRule& rule = rules.emplace_back();
    if (std::string why = ReadRule(part, &rule); !why.empty()) {
      auth->refused = absl::StrCat("annotation ", duration.key, ": ", QuoteForMessage(part), " ",
                                   why, "; every request gets 503 until it is mended");
      parsed->errors.push_back(auth->refused);
      return;
    }
  }
  if (rules.size() > kMaxRules) {
    auth->refused = absl::StrCat("annotation ", duration.key, ": more than ", kMaxRules,
                                 " durations; every request gets 503 until it is mended");
    parsed->errors.push_back(auth->refused);
    return;
  }
  if (rules.empty()) ReadRule(kDefaultDuration, &rules.emplace_back());
  auth->cache_key = std::string(text);
  auth->cache_rules = std::move(rules);
}

}  // namespace gatehouse::controlplane::translate
