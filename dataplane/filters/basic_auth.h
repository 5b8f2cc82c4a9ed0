// HTTP Basic authentication (RFC 7617), as ingress-nginx's auth-type basic: a request goes on
// only with the user and password of one of the route's users; any other gets 401 with the
// route's realm, and a route whose credentials could not be read answers 503.
//
// A password check runs off the event loop (bcrypt costs up to a quarter of a second): the
// filter stops the chain, and resumes it, or answers 401, when the check is done. Credentials a
// worker found right recently (PasswordCache) are not checked again, so a request costs at most
// one hash. A worker with too many checks waiting answers 503 rather than queue without end.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/htpasswd.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class BasicAuthFilter : public Filter {
 public:
  struct Config {
    Htpasswd users;
    std::string challenge;  // the WWW-Authenticate value
    bool deny = false;
  };
  // The longest password checked; a longer one is refused unchecked (SHA-crypt's cost grows
  // with the password's length).
  static constexpr size_t kMaxPasswordBytes = 1024;
  static constexpr size_t kMaxRealmBytes = 256;

  // Each hash must be one common/htpasswd accepts; each user named once; the realm quoted-string
  // text (common/http_syntax), at most kMaxRealmBytes.
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(const v1::BasicAuth& config);

  explicit BasicAuthFilter(const Config& config) : config_(config) {}
  ~BasicAuthFilter() override;

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  struct Check;
  FilterStatus Challenge();
  void OnChecked(const Check& check, bool ran);

  const Config& config_;
  std::shared_ptr<Check> check_;  // the password check in progress, if any
};

}  // namespace gatehouse::dataplane::filters
