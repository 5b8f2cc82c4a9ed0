#include "dataplane/filters/basic_auth.h"

#include <atomic>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "dataplane/event/clock.h"
#include "dataplane/filters/password_cache.h"

namespace gatehouse::dataplane::filters {
namespace {

// The user and password of an Authorization header's Basic credentials; false when there are
// none or they cannot be read.
bool ReadCredentials(const std::string* header, std::string* user, std::string* password) {
  if (header == nullptr) return false;
  absl::string_view value = absl::StripLeadingAsciiWhitespace(*header);
  // The scheme is case-insensitive (RFC 9110 11.1).
  if (value.size() < 6 || !absl::EqualsIgnoreCase(value.substr(0, 6), "basic ")) return false;
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(value.substr(6)), &decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

}  // namespace

// One password check, shared by the filter and the thread that runs it.
struct BasicAuthFilter::Check {
  std::string hash;
  std::string password;
  PasswordCache::Key key;
  bool matched = false;  // written by the pool's thread, read after it is done
  // The request is gone: a check not yet begun is skipped, and its end touches nothing.
  std::atomic<bool> abandoned{false};
};

absl::StatusOr<std::shared_ptr<const FilterFactory>> BasicAuthFilter::Compile(
    const v1::BasicAuth& config) {
  Config compiled;
  compiled.deny = config.deny();
  if (!IsQuotedStringText(config.realm(), kMaxRealmBytes)) {
    return absl::InvalidArgumentError(
        "the realm holds a quote, a backslash or a control character, or is over 256 bytes");
  }
  compiled.challenge = absl::StrCat("Basic realm=\"", config.realm(), "\"");
  std::map<std::string, std::string> users;
  for (const v1::BasicAuth::User& user : config.users()) {
    if (!users.emplace(user.name(), user.hash()).second) {
      return absl::InvalidArgumentError("a user named twice");
    }
  }
  Htpasswd::Parsed parsed = Htpasswd::FromMap(users);
  if (!parsed.errors.empty()) return absl::InvalidArgumentError(parsed.errors.front());
  compiled.users = std::move(parsed.file);
  return std::make_shared<const ConfigFactory<BasicAuthFilter, Config>>(std::move(compiled));
}

BasicAuthFilter::~BasicAuthFilter() {
  if (check_ != nullptr) check_->abandoned = true;
}

FilterStatus BasicAuthFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  if (config_.deny) {
    callbacks().SendLocalReply(503, "the authentication of this path is not configured");
    return FilterStatus::kStop;
  }
  std::string user, password;
  if (!ReadCredentials(head.headers.Get("authorization"), &user, &password) ||
      password.size() > kMaxPasswordBytes) {
    return Challenge();
  }
  const std::string* hash = config_.users.HashOf(user);
  if (hash == nullptr) return Challenge();
  PasswordCache& cache = PasswordCache::ForThisThread();
  PasswordCache::Key key = PasswordCache::KeyOf(*hash, user, password);
  if (cache.Contains(key, event::MonotonicNowMs())) return FilterStatus::kContinue;
  auto check = std::make_shared<Check>();
  check->hash = *hash;
  check->password = std::move(password);
  check->key = key;
  bool queued = callbacks().RunBlocking(
      [check] {
        if (!check->abandoned.load()) {
          check->matched = VerifyPassword(check->hash, check->password);
        }
        check->password.clear();
      },
      [this, check](bool ran) {
        if (!check->abandoned) OnChecked(*check, ran);
      });
  if (!queued) {
    http::HeaderMap headers;
    headers.Add("Retry-After", "1");
    callbacks().SendLocalReply(503, "too many password checks are waiting", std::move(headers));
    return FilterStatus::kStop;
  }
  check_ = std::move(check);
  return FilterStatus::kStop;
}

void BasicAuthFilter::OnChecked(const Check& check, bool ran) {
  check_.reset();
  if (!ran) {
    callbacks().SendLocalReply(503, "the password check was cancelled");
  } else if (check.matched) {
    PasswordCache::ForThisThread().Put(check.key, event::MonotonicNowMs());
    callbacks().ContinueRequest();
  } else {
    Challenge();
  }
}

FilterStatus BasicAuthFilter::Challenge() {
  http::HeaderMap headers;
  headers.Add("WWW-Authenticate", config_.challenge);
  callbacks().SendLocalReply(401, "this path needs a user and password", std::move(headers));
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
