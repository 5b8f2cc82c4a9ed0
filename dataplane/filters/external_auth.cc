#include "dataplane/filters/external_auth.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "dataplane/event/clock.h"
#include "dataplane/filters/auth_answer_cache.h"
#include "dataplane/filters/forwarding_headers.h"
#include "dataplane/filters/redirect.h"
#include "dataplane/filters/request_key_value.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace gatehouse::dataplane::filters {
namespace {

// Set on the side request by the filter alone: a client's own values never reach the auth
// service, which would take them for the proxy's.
constexpr absl::string_view kOwnHeaders[] = {
    "x-original-url",
    "x-original-method",
    "x-sent-from",
    "x-real-ip",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-auth-request-redirect",
    "content-length",
    "expect",
    "transfer-encoding",
    "connection",
    "host",  // the auth service's own, from the URL
};

// The statuses whose responses carry the auth answer's cookie (nginx's add_header list).
bool TakesCookie(int status) {
  switch (status) {
    case 200:
    case 201:
    case 204:
    case 206:
    case 301:
    case 302:
    case 303:
    case 304:
    case 307:
    case 308:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> ExternalAuthFilter::Compile(
    const v1::ExternalAuth& config) {
  Config compiled;
  compiled.proto = config;
  if (!config.deny()) {
    if (config.cluster().empty()) return absl::InvalidArgumentError("no cluster");
    if (!IsHostAndPort(config.host())) return absl::InvalidArgumentError("a host that is not one");
    if (!config.method().empty() && !IsToken(config.method())) {
      return absl::InvalidArgumentError("a method that is not a token");
    }
    if (!IsOriginFormTarget(config.target())) {
      return absl::InvalidArgumentError("a target that is not an absolute path");
    }
    if (!IsFieldValue(config.request_redirect())) {
      return absl::InvalidArgumentError("a request redirect that is not a header value");
    }
    if (config.timeout_ms() == 0) return absl::InvalidArgumentError("no timeout");
  }
  if (config.response_headers_size() > kMaxResponseHeaders) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxResponseHeaders, " response headers"));
  }
  for (const std::string& name : config.response_headers()) {
    if (!IsEditableHeaderName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("response header \"", absl::CEscape(name), "\" cannot be set"));
    }
    compiled.response_headers.push_back(absl::AsciiStrToLower(name));
  }
  if (!config.signin().empty()) {
    absl::StatusOr<LocationTemplate> signin = LocationTemplate::Parse(config.signin());
    if (!signin.ok()) return signin.status();
    compiled.signin = *std::move(signin);
    if (!IsToken(config.signin_param())) {
      return absl::InvalidArgumentError("a sign-in parameter that is not a token");
    }
  }
  if (!config.cache_key().empty()) {
    absl::StatusOr<RequestKeyTemplate> key = RequestKeyTemplate::Parse(config.cache_key());
    if (!key.ok()) return key.status();
    if (config.cache_rules_size() == 0 || config.cache_rules_size() > kMaxCacheRules) {
      return absl::InvalidArgumentError(
          absl::StrCat("a cache key needs from 1 to ", kMaxCacheRules, " cache rules"));
    }
    for (const v1::AuthCacheRule& rule : config.cache_rules()) {
      if ((rule.statuses_size() == 0 && !rule.any_status()) ||
          rule.statuses_size() > kMaxCacheRuleStatuses) {
        return absl::InvalidArgumentError(
            absl::StrCat("a cache rule needs from 1 to ", kMaxCacheRuleStatuses, " statuses"));
      }
      for (uint32_t status : rule.statuses()) {
        if (status < 100 || status > 599) {
          return absl::InvalidArgumentError(absl::StrCat("cache rule status ", status));
        }
      }
    }
    compiled.cache_key = *std::move(key);
    std::string serialized;
    google::protobuf::io::StringOutputStream stream(&serialized);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    config.SerializeToCodedStream(&coded);
    coded.Trim();
    DigestKey digest = DigestOf({serialized});
    compiled.keyspace.assign(reinterpret_cast<const char*>(digest.data()), digest.size());
  }
  return std::make_shared<const ConfigFactory<ExternalAuthFilter, Config>>(std::move(compiled));
}

ExternalAuthFilter::~ExternalAuthFilter() {
  if (side_request_ != 0) callbacks().CancelSideRequest(side_request_);
}

FilterStatus ExternalAuthFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  if (config_.proto.deny()) {
    callbacks().SendLocalReply(503, "the authentication of this path is not configured");
    return FilterStatus::kStop;
  }
  head_ = &head;
  if (config_.cache_key.has_value()) {
    cache_key_ = DigestOf(
        {config_.keyspace, RequestKeyValue(*config_.cache_key, head, callbacks().downstream())});
    if (const AuthAnswerCache::Answer* kept =
            AuthAnswerCache::ForThisThread().Find(*cache_key_, event::MonotonicNowMs())) {
      return Apply(kept->status, kept->headers) ? FilterStatus::kContinue : FilterStatus::kStop;
    }
  }
  side_request_ =
      callbacks().SendSideRequest(config_.proto.cluster(), SideRequest(head),
                                  config_.proto.timeout_ms(), [this](SideResponse answer) {
                                    side_request_ = 0;
                                    OnAnswer(std::move(answer));
                                  });
  return FilterStatus::kStop;
}

http::RequestHead ExternalAuthFilter::SideRequest(const http::RequestHead& head) {
  const DownstreamInfo& downstream = callbacks().downstream();
  http::RequestHead out;
  out.method = config_.proto.method().empty() ? "GET" : config_.proto.method();
  out.target = config_.proto.target();
  out.authority = config_.proto.host();
  out.headers.Add("Host", config_.proto.host());
  std::string received_for;  // every X-Forwarded-For, in order, as one list
  for (const http::HeaderMap::Entry& entry : head.headers.entries()) {
    if (absl::EqualsIgnoreCase(entry.first, "x-forwarded-for")) {
      absl::StrAppend(&received_for, received_for.empty() ? "" : ", ", entry.second);
    }
    bool own = false;
    for (absl::string_view name : kOwnHeaders)
      own = own || absl::EqualsIgnoreCase(entry.first, name);
    if (!own) out.headers.Add(entry.first, entry.second);
  }
  out.headers.Add("X-Original-URL",
                  absl::StrCat(downstream.scheme, "://", head.authority, head.target));
  out.headers.Add("X-Original-Method", head.method);
  out.headers.Add("X-Sent-From", "gatehouse");
  out.headers.Add("X-Real-IP", downstream.client_ip);
  out.headers.Add("X-Forwarded-For", ForwardedForValue(downstream, received_for));
  out.headers.Add("X-Forwarded-Proto", downstream.scheme);
  out.headers.Add("X-Forwarded-Host", head.authority);
  out.headers.Add("X-Auth-Request-Redirect", config_.proto.request_redirect().empty()
                                                 ? head.target
                                                 : config_.proto.request_redirect());
  return out;
}

void ExternalAuthFilter::OnAnswer(SideResponse answer) {
  if (!answer.ok) {
    // Why (it may name internal addresses) is for the operator, not the client.
    LOG_DEBUG("external auth through cluster ", config_.proto.cluster(), ": ", answer.error);
    callbacks().SendLocalReply(500, "the authentication service did not answer");
    return;
  }
  cookies_.clear();
  for (const http::HeaderMap::Entry& entry : answer.headers.entries()) {
    if (absl::EqualsIgnoreCase(entry.first, "set-cookie")) cookies_.push_back(entry.second);
  }
  if (cache_key_.has_value()) {
    if (uint32_t seconds = KeepSeconds(answer); seconds > 0) {
      // Only what Apply reads.
      AuthAnswerCache::Answer kept{answer.status, {}};
      for (const std::string& name : config_.response_headers) {
        if (const std::string* value = answer.headers.Get(name)) kept.headers.Add(name, *value);
      }
      if (const std::string* challenge = answer.headers.Get("www-authenticate")) {
        kept.headers.Add("www-authenticate", *challenge);
      }
      AuthAnswerCache::ForThisThread().Put(
          *cache_key_, event::MonotonicNowMs() + int64_t{seconds} * 1000, std::move(kept));
    }
  }
  if (Apply(answer.status, answer.headers)) callbacks().ContinueRequest();
}

uint32_t ExternalAuthFilter::KeepSeconds(const SideResponse& answer) const {
  uint32_t seconds = 0;
  for (const v1::AuthCacheRule& rule : config_.proto.cache_rules()) {
    if (rule.any_status() ||
        std::find(rule.statuses().begin(), rule.statuses().end(),
                  static_cast<uint32_t>(answer.status)) != rule.statuses().end()) {
      seconds = rule.seconds();
      break;  // the first rule naming the status, as nginx's proxy_cache_valid
    }
  }
  if (seconds == 0) return 0;
  // As nginx's cache: an answer that sets a cookie is the client's own, and one the service
  // marks as not to be kept is not; max-age sets the time.
  if (answer.headers.Has("set-cookie")) return 0;
  if (const std::string* vary = answer.headers.Get("vary"); vary != nullptr && *vary == "*") {
    return 0;
  }
  for (const http::HeaderMap::Entry& entry : answer.headers.entries()) {
    if (!absl::EqualsIgnoreCase(entry.first, "cache-control")) continue;
    for (absl::string_view directive : absl::StrSplit(entry.second, ',')) {
      directive = absl::StripAsciiWhitespace(directive);
      if (absl::EqualsIgnoreCase(directive, "no-store") ||
          absl::EqualsIgnoreCase(directive, "no-cache") ||
          absl::EqualsIgnoreCase(directive, "private")) {
        return 0;
      }
      absl::string_view max_age = directive;
      uint32_t value = 0;
      if (absl::ConsumePrefix(&max_age, "max-age=") && absl::SimpleAtoi(max_age, &value)) {
        seconds = value;
      }
    }
  }
  return seconds;
}

bool ExternalAuthFilter::Apply(int status, const http::HeaderMap& answer) {
  if (status >= 200 && status < 300) {
    for (const std::string& name : config_.response_headers) {
      head_->headers.Remove(name);
      if (const std::string* value = answer.Get(name)) head_->headers.Add(name, *value);
    }
    return true;
  }
  http::HeaderMap headers;
  if (status == 401 && config_.signin.has_value()) {
    headers.Add("Location", SigninLocation());
    for (const std::string& cookie : cookies_) headers.Add("Set-Cookie", cookie);
    cookies_.clear();
    callbacks().SendLocalReply(302, "sign in first", std::move(headers));
    return false;
  }
  if (status == 401) {
    if (const std::string* challenge = answer.Get("www-authenticate")) {
      headers.Add("WWW-Authenticate", *challenge);
    }
    callbacks().SendLocalReply(401, "the authentication service refused the request",
                               std::move(headers));
    return false;
  }
  if (status == 403) {
    callbacks().SendLocalReply(403, "the authentication service refused the request");
    return false;
  }
  callbacks().SendLocalReply(500, absl::StrCat("the authentication service answered ", status));
  return false;
}

std::string ExternalAuthFilter::SigninLocation() {
  const DownstreamInfo& downstream = callbacks().downstream();
  std::string location = config_.signin->Expand(
      head_->target, absl::AsciiStrToLower(HostWithoutPort(head_->authority)), downstream.scheme);
  // The parameter names the request's own URL, unless the sign-in URL has it already.
  const std::string& param = config_.proto.signin_param();
  size_t question = location.find('?');
  if (question != std::string::npos) {
    absl::string_view query = absl::string_view(location).substr(question + 1);
    if (absl::StartsWith(query, absl::StrCat(param, "=")) ||
        absl::StrContains(query, absl::StrCat("&", param, "="))) {
      return location;
    }
  }
  absl::StrAppend(
      &location, question == std::string::npos ? "?" : "&", param, "=",
      EscapeUriComponent(absl::StrCat(downstream.scheme, "://", head_->authority, head_->target)));
  return location;
}

void ExternalAuthFilter::OnResponseHeaders(http::ResponseHead& head, bool end_stream) {
  if (cookies_.empty() || !TakesCookie(head.status)) return;
  for (const std::string& cookie : cookies_) head.headers.Add("Set-Cookie", cookie);
}

}  // namespace gatehouse::dataplane::filters
