// The access-control annotations, read as ingress-nginx reads them (its annotations
// documentation, "Whitelist source range", "Denylist source range" and "Enable CORS", and its
// e2e tests test/e2e/annotations/{ipwhitelist,ipdenylist,cors}.go). The IP lists are
// comma-separated addresses and CIDR ranges, IPv4 and IPv6, checked with the data plane's own
// parser (common/cidr); the CORS origins with common/cors_origin; so what is published compiles
// there.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"
#include "common/cors_origin.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

// As many as the data plane's SourceRanges filter takes.
constexpr size_t kMaxRanges = 4096;
// The largest rate or in-flight limit the data plane's RateLimit filter takes.
constexpr int64_t kMaxLimit = 1000000;

// The list `found` holds; a value that cannot be read is reported and refuses every client.
std::vector<std::string> ReadRanges(const AnnotationValue& found, ParsedAnnotations* parsed) {
  RangeList list = SplitRanges(*found.value);
  if (!list.errors.empty()) {
    parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ", list.errors.front(),
                                          "; every client is refused until it is mended"));
    parsed->values.access.refuse_all = true;
    return {};
  }
  if (list.ranges.size() > kMaxRanges) {
    parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ", list.ranges.size(),
                                          " ranges, more than ", kMaxRanges,
                                          "; every client is refused until it is mended"));
    parsed->values.access.refuse_all = true;
    return {};
  }
  return std::move(list.ranges);
}

// ingress-nginx's defaults (internal/ingress/annotations/cors/main.go).
constexpr absl::string_view kDefaultCorsMethods = "GET, PUT, POST, DELETE, PATCH, OPTIONS";
constexpr absl::string_view kDefaultCorsHeaders =
    "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,"
    "Range,Authorization";
constexpr uint32_t kDefaultCorsMaxAge = 1728000;

// A comma-separated list whose every item passes `item_ok`, as "A, B" (empty items dropped);
// a value that does not is reported and gives `fallback`, as ingress-nginx falls back to its
// default.
std::string ReadList(const objects::kube::Ingress& ingress, absl::string_view name,
                     absl::string_view fallback, bool (*item_ok)(absl::string_view),
                     ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, name);
  if (found.value == nullptr) return std::string(fallback);
  std::vector<absl::string_view> items;
  bool ok = true;
  for (absl::string_view item : absl::StrSplit(*found.value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    ok = ok && item_ok(item);
    items.push_back(item);
  }
  if (ok && !items.empty()) return absl::StrJoin(items, ", ");
  parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                        QuoteForMessage(*found.value),
                                        " is not a comma-separated list of names; using ",
                                        fallback.empty() ? "none" : QuoteForMessage(fallback)));
  return std::string(fallback);
}

// Letters (a method), as ingress-nginx's check of cors-allow-methods.
bool IsMethodName(absl::string_view item) {
  for (char c : item) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Letters, digits, '-' and '_' (a header name), as ingress-nginx's checks of the header lists.
bool IsHeaderName(absl::string_view item) {
  for (char c : item) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

bool IsHeaderNameOrStar(absl::string_view item) { return item == "*" || IsHeaderName(item); }

// cors-allow-origin: "*", or origins. Entries that are not origins are reported and left out;
// with none left, no origin is allowed (ingress-nginx would allow every origin instead).
void ReadOrigins(const objects::kube::Ingress& ingress, gatehouse::v1::Cors& cors,
                 ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, kCorsAllowOriginAnnotation);
  if (found.value == nullptr || absl::StripAsciiWhitespace(*found.value).empty()) {
    cors.set_any_origin(true);  // the default, also for a blank value, as ingress-nginx
    return;
  }
  std::vector<std::string> refused;
  for (absl::string_view entry : absl::StrSplit(*found.value, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    if (entry == "*") {
      cors.set_any_origin(true);
      cors.clear_allow_origins();
      return;
    }
    if (absl::StatusOr<CorsOrigin> origin = CorsOrigin::Parse(entry); !origin.ok()) {
      refused.push_back(std::string(origin.status().message()));
      continue;
    }
    if (cors.allow_origins_size() == kMaxCorsOrigins) {
      refused.push_back(absl::StrCat("more than ", kMaxCorsOrigins, " origins"));
      break;
    }
    cors.add_allow_origins(std::string(entry));
  }
  for (const std::string& why : refused) {
    parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ", why, "; left out"));
  }
}

void ParseCors(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AnnotationValue enabled = LookupAnnotation(ingress, kEnableCorsAnnotation);
  if (enabled.value == nullptr || !ReadTrueFalse(enabled, false, "no CORS", parsed)) return;
  gatehouse::v1::Cors& cors = parsed->values.access.cors.emplace();
  ReadOrigins(ingress, cors, parsed);
  cors.set_allow_methods(
      ReadList(ingress, kCorsAllowMethodsAnnotation, kDefaultCorsMethods, IsMethodName, parsed));
  cors.set_allow_headers(
      ReadList(ingress, kCorsAllowHeadersAnnotation, kDefaultCorsHeaders, IsHeaderName, parsed));
  cors.set_expose_headers(
      ReadList(ingress, kCorsExposeHeadersAnnotation, "", IsHeaderNameOrStar, parsed));
  AnnotationValue credentials = LookupAnnotation(ingress, kCorsAllowCredentialsAnnotation);
  cors.set_allow_credentials(credentials.value == nullptr ||
                             ReadTrueFalse(credentials, true, "credentials allowed", parsed));
  cors.set_max_age_seconds(kDefaultCorsMaxAge);
  if (AnnotationValue found = LookupAnnotation(ingress, kCorsMaxAgeAnnotation);
      found.value != nullptr) {
    uint32_t seconds = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*found.value), &seconds)) {
      cors.set_max_age_seconds(seconds);
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(*found.value),
                       " is not a number of seconds; using ", kDefaultCorsMaxAge));
    }
  }
}

// A limit: a whole number; 0 or less is none, as in ingress-nginx. Another value is reported.
uint32_t ReadLimit(const objects::kube::Ingress& ingress, absl::string_view name,
                   ParsedAnnotations* parsed) {
  AnnotationValue found = LookupAnnotation(ingress, name);
  if (found.value == nullptr) return 0;
  int64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*found.value), &value) || value > kMaxLimit) {
    parsed->errors.push_back(
        absl::StrCat("annotation ", found.key, ": ", QuoteForMessage(*found.value),
                     " is not a whole number up to ", kMaxLimit, "; no such limit"));
    return 0;
  }
  return value > 0 ? static_cast<uint32_t>(value) : 0;
}

void ParseRateLimits(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  gatehouse::v1::RateLimit limit;
  limit.set_requests_per_second(ReadLimit(ingress, kLimitRpsAnnotation, parsed));
  limit.set_requests_per_minute(ReadLimit(ingress, kLimitRpmAnnotation, parsed));
  limit.set_connections(ReadLimit(ingress, kLimitConnectionsAnnotation, parsed));
  if (limit.requests_per_second() == 0 && limit.requests_per_minute() == 0 &&
      limit.connections() == 0) {
    return;
  }
  limit.set_zone(absl::StrCat(ingress.metadata().namespace_(), "/", ingress.metadata().name()));
  limit.set_burst_multiplier(5);
  if (AnnotationValue found = LookupAnnotation(ingress, kLimitBurstMultiplierAnnotation);
      found.value != nullptr) {
    uint32_t multiplier = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*found.value), &multiplier) &&
        multiplier >= 1 && multiplier <= 1000) {
      limit.set_burst_multiplier(multiplier);
    } else {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ",
                                            QuoteForMessage(*found.value),
                                            " is not a whole number from 1 to 1000; using 5"));
    }
  }
  AnnotationValue exempt = LookupAnnotation(ingress, kLimitAllowlistAnnotation);
  if (exempt.value == nullptr) exempt = LookupAnnotation(ingress, kLimitWhitelistAnnotation);
  if (exempt.value != nullptr) {
    RangeList list = SplitRanges(*exempt.value);
    // Entries that are not ranges are left out: those clients are limited, the safe side.
    for (const std::string& error : list.errors) {
      parsed->errors.push_back(absl::StrCat("annotation ", exempt.key, ": ", error, "; left out"));
    }
    if (list.ranges.size() > kMaxRanges) {
      parsed->errors.push_back(absl::StrCat("annotation ", exempt.key, ": more than ", kMaxRanges,
                                            " ranges; the rest left out"));
      list.ranges.resize(kMaxRanges);
    }
    for (std::string& entry : list.ranges) limit.add_allowlist(std::move(entry));
  }
  parsed->values.access.rate_limit = std::move(limit);
}

}  // namespace

void ParseAccessAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AccessAnnotations& access = parsed->values.access;
  // A value without entries is no list: the controller's default stands, as in ingress-nginx.
  AnnotationValue allow = LookupAnnotation(ingress, kAllowlistSourceRangeAnnotation);
  if (allow.value == nullptr) allow = LookupAnnotation(ingress, kWhitelistSourceRangeAnnotation);
  if (allow.value != nullptr) {
    std::vector<std::string> ranges = ReadRanges(allow, parsed);
    if (!ranges.empty()) access.allow = std::move(ranges);
  }
  if (AnnotationValue deny = LookupAnnotation(ingress, kDenylistSourceRangeAnnotation);
      deny.value != nullptr) {
    std::vector<std::string> ranges = ReadRanges(deny, parsed);
    if (!ranges.empty()) access.deny = std::move(ranges);
  }
  ParseCors(ingress, parsed);
  ParseRateLimits(ingress, parsed);
}

}  // namespace gatehouse::controlplane::translate
