// A key made of a request's values, written with nginx variables (ingress-nginx's
// auth-cache-key, such as "$remote_user$http_authorization"): literal text, $http_NAME (a
// header, '_' for '-'), $cookie_NAME, $arg_NAME (a query parameter), $remote_user (the user of
// a Basic Authorization header), $remote_addr, $host, $uri, $request_uri, $args, $scheme and
// $request_method; ${NAME} where text follows a name. Both processes parse it the same way: the
// control plane refuses what a data plane would.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gatehouse {

class RequestKeyTemplate {
 public:
  enum class Kind {
    kText,
    kHeader,  // name: lower case, with '-'
    kCookie,
    kArg,
    kRemoteUser,
    kRemoteAddr,
    kHost,
    kUri,
    kRequestUri,
    kArgs,
    kScheme,
    kMethod,
  };
  struct Part {
    Kind kind;
    std::string name;  // kText: the text; kHeader, kCookie, kArg: the name
  };
  static constexpr size_t kMaxBytes = 1024;
  static constexpr size_t kMaxParts = 32;

  // Splits `key`; an unknown variable, a name that could not be one, or a key over the bounds is
  // an error naming it.
  static absl::StatusOr<RequestKeyTemplate> Parse(absl::string_view key);

  const std::vector<Part>& parts() const { return parts_; }

 private:
  std::vector<Part> parts_;
};

// The user name of a Basic Authorization value ("Basic base64(user:password)"), as nginx's
// $remote_user; empty when there is none.
std::string BasicAuthUser(absl::string_view authorization);

}  // namespace gatehouse
