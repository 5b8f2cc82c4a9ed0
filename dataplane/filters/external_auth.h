// External authentication, as ingress-nginx's auth-url: each request is first put to an auth
// service (oauth2-proxy, Authelia) as a bodiless side request carrying the client's headers; its
// answer lets the request through (with headers from the answer), sends the client to sign in,
// or refuses. The chain waits for the answer without blocking the worker, and resumes or answers
// when it comes. An auth service that is down, slow or confused gets the client a 500, never the
// request through. With a cache key (auth-cache-key), the worker keeps answers by the key's
// value for the times the cache rules give (AuthAnswerCache), and a request whose key has an
// answer kept is decided by it without asking.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/location_template.h"
#include "common/request_key.h"
#include "dataplane/filters/digest_key.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class ExternalAuthFilter : public Filter {
 public:
  struct Config {
    v1::ExternalAuth proto;
    std::vector<std::string> response_headers;  // lower case
    std::optional<LocationTemplate> signin;
    std::optional<RequestKeyTemplate> cache_key;
    // The digest of the whole config: answers are kept per route and per auth config.
    std::string keyspace;
  };
  static constexpr int kMaxCacheRules = 16;
  static constexpr int kMaxCacheRuleStatuses = 64;
  static constexpr int kMaxResponseHeaders = 32;

  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::ExternalAuth& config);

  explicit ExternalAuthFilter(const Config& config) : config_(config) {}
  ~ExternalAuthFilter() override;

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;
  void OnResponseHeaders(http::ResponseHead& head, bool end_stream) override;

 private:
  http::RequestHead SideRequest(const http::RequestHead& head);
  void OnAnswer(SideResponse answer);
  // Decides the request by an answer (asked or kept): true when it goes on; otherwise the local
  // reply is sent.
  bool Apply(int status, const http::HeaderMap& headers);
  // How long `answer` may be kept, in seconds; 0: not at all.
  uint32_t KeepSeconds(const SideResponse& answer) const;
  // The sign-in URL for this request, with the request's URL as its parameter.
  std::string SigninLocation();

  const Config& config_;
  // The request's, kept by the stream while it lasts. The filter runs before any rewrite, so its
  // target is the client's ($request_uri).
  http::RequestHead* head_ = nullptr;
  uint64_t side_request_ = 0;           // nonzero: asked and not answered
  std::optional<DigestKey> cache_key_;  // the request's, when answers are kept
  std::vector<std::string> cookies_;    // the auth answer's Set-Cookie, for the response
};

}  // namespace gatehouse::dataplane::filters
