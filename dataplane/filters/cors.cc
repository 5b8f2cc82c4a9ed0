#include "dataplane/filters/cors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse::dataplane::filters {
namespace {

// A comma-separated list of tokens ("GET, PUT", "X-A,X-B", "*"), or empty.
bool IsTokenList(absl::string_view text) {
  if (text.empty()) return true;
  if (!IsFieldValue(text)) return false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == absl::string_view::npos) comma = text.size();
    absl::string_view item = absl::StripAsciiWhitespace(text.substr(start, comma - start));
    if (!IsToken(item)) return false;
    start = comma + 1;
  }
  return true;
}

// Whether the Vary value `vary` already names `field` (or is "*").
bool VariesBy(absl::string_view vary, absl::string_view field) {
  for (absl::string_view item : absl::StrSplit(vary, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item == "*" || absl::EqualsIgnoreCase(item, field)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> CorsFilter::Compile(const v1::Cors& config) {
  Config compiled;
  compiled.any_origin = config.any_origin();
  if (config.allow_origins_size() > kMaxCorsOrigins) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.allow_origins_size(), " origins; at most ", kMaxCorsOrigins));
  }
  for (const std::string& entry : config.allow_origins()) {
    absl::StatusOr<CorsOrigin> origin = CorsOrigin::Parse(entry);
    if (!origin.ok()) return origin.status();
    compiled.origins.push_back(*std::move(origin));
  }
  for (const std::string* list :
       {&config.allow_methods(), &config.allow_headers(), &config.expose_headers()}) {
    if (!IsTokenList(*list)) {
      return absl::InvalidArgumentError(
          absl::StrCat(QuoteForMessage(*list), " is not a comma-separated list of tokens"));
    }
  }
  compiled.allow_methods = config.allow_methods();
  compiled.allow_headers = config.allow_headers();
  compiled.expose_headers = config.expose_headers();
  compiled.allow_credentials = config.allow_credentials();
  compiled.max_age = absl::StrCat(config.max_age_seconds());
  return std::make_shared<const ConfigFactory<CorsFilter, Config>>(std::move(compiled));
}

FilterStatus CorsFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  // A policy of every origin answers "*" alike, and so never with credentials: the Fetch
  // standard's CORS check refuses "*" for a credentialed request, and naming each Origin instead
  // would let every site read a signed-in user's responses. A list names the Origin it matched,
  // and caches must keep answers to different origins apart (Fetch standard, "CORS protocol
  // and HTTP caches").
  vary_ = !config_.any_origin;
  const std::string* origin = head.headers.Get("origin");
  if (config_.any_origin) {
    // Also without an Origin, as ingress-nginx's e2e cases expect of such a policy.
    allow_origin_ = "*";
  } else if (origin != nullptr) {
    for (const CorsOrigin& allowed : config_.origins) {
      if (allowed.Matches(*origin)) {
        allow_origin_ = *origin;
        break;
      }
    }
  }
  if (origin == nullptr || allow_origin_.empty()) return FilterStatus::kContinue;
  if (head.method != "OPTIONS" || head.headers.Get("access-control-request-method") == nullptr) {
    return FilterStatus::kContinue;
  }
  // A preflight: answered here, its request never goes upstream.
  http::HeaderMap headers;
  headers.Add("Access-Control-Allow-Methods", config_.allow_methods);
  headers.Add("Access-Control-Allow-Headers", config_.allow_headers);
  headers.Add("Access-Control-Max-Age", config_.max_age);
  callbacks().SendLocalReply(204, "", std::move(headers));
  return FilterStatus::kStop;
}

void CorsFilter::OnResponseHeaders(http::ResponseHead& head, bool end_stream) {
  if (vary_) {
    // Every Vary header counts: a backend may send several.
    bool varies = false;
    for (const http::HeaderMap::Entry& entry : head.headers.entries()) {
      if (absl::EqualsIgnoreCase(entry.first, "vary") && VariesBy(entry.second, "origin")) {
        varies = true;
        break;
      }
    }
    if (!varies) head.headers.Add("Vary", "Origin");
  }
  if (allow_origin_.empty()) return;
  head.headers.Set("Access-Control-Allow-Origin", allow_origin_);
  if (config_.allow_credentials && allow_origin_ != "*") {
    head.headers.Set("Access-Control-Allow-Credentials", "true");
  } else {
    head.headers.Remove("Access-Control-Allow-Credentials");
  }
  if (!config_.expose_headers.empty() && head.status != 204) {
    head.headers.Set("Access-Control-Expose-Headers", config_.expose_headers);
  }
}

}  // namespace gatehouse::dataplane::filters
