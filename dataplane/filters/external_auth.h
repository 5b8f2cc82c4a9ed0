// External authentication, as ingress-nginx's auth-url: each request is first put to an auth
// service (oauth2-proxy, Authelia) as a bodiless side request carrying the client's headers; its
// answer lets the request through (with headers from the answer), sends the client to sign in,
// or refuses. The chain waits for the answer without blocking the worker, and resumes or answers
// when it comes. An auth service that is down, slow or confused gets the client a 500, never the
// request through.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/location_template.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class ExternalAuthFilter : public Filter {
 public:
  struct Config {
    v1::ExternalAuth proto;
    std::vector<std::string> response_headers;  // lower case
    std::optional<LocationTemplate> signin;
  };
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
  // The sign-in URL for this request, with the request's URL as its parameter.
  std::string SigninLocation();

  const Config& config_;
  // The request's, kept by the stream while it lasts. The filter runs before any rewrite, so its
  // target is the client's ($request_uri).
  http::RequestHead* head_ = nullptr;
  uint64_t side_request_ = 0;         // nonzero: asked and not answered
  std::vector<std::string> cookies_;  // the auth answer's Set-Cookie, for the response
};

}  // namespace gatehouse::dataplane::filters
