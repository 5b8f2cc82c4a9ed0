// auth-cache-key's syntax. Reference: ingress-nginx's annotations documentation ("External
// Authentication": "auth-cache-key ... e.g. $remote_user$http_authorization") and nginx's
// variables: $http_NAME is a request header with '_' for '-', any case; $cookie_NAME a cookie;
// $arg_NAME a query parameter; $remote_user the user of Basic authentication; ${NAME} ends a
// name where text follows.
#include "common/request_key.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace gatehouse {
namespace {

using Kind = RequestKeyTemplate::Kind;

// "kind:name" per part.
std::vector<std::string> Parts(absl::string_view key) {
  absl::StatusOr<RequestKeyTemplate> parsed = RequestKeyTemplate::Parse(key);
  EXPECT_TRUE(parsed.ok()) << key << ": " << parsed.status();
  std::vector<std::string> out;
  if (!parsed.ok()) return out;
  for (const RequestKeyTemplate::Part& part : parsed->parts()) {
    out.push_back(std::to_string(static_cast<int>(part.kind)) + ":" + part.name);
  }
  return out;
}

std::string P(Kind kind, std::string name = "") {
  return std::to_string(static_cast<int>(kind)) + ":" + name;
}

TEST(RequestKeyTemplateTest, VariablesAndTextSplitAsNginxReadsThem) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Parts("$remote_user$http_authorization"),
            (V{P(Kind::kRemoteUser), P(Kind::kHeader, "authorization")}));
  EXPECT_EQ(Parts("$http_X_Forwarded_User"), (V{P(Kind::kHeader, "x-forwarded-user")}));
  EXPECT_EQ(Parts("$cookie__oauth2_proxy"), (V{P(Kind::kCookie, "_oauth2_proxy")}));
  EXPECT_EQ(Parts("user-$arg_team"), (V{P(Kind::kText, "user-"), P(Kind::kArg, "team")}));
  EXPECT_EQ(Parts("${host}-x$scheme"), (V{P(Kind::kHost), P(Kind::kText, "-x"), P(Kind::kScheme)}));
  EXPECT_EQ(Parts("$uri$request_uri$args$remote_addr$request_method"),
            (V{P(Kind::kUri), P(Kind::kRequestUri), P(Kind::kArgs), P(Kind::kRemoteAddr),
               P(Kind::kMethod)}));
  EXPECT_EQ(Parts("static"), (V{P(Kind::kText, "static")}));
}

TEST(RequestKeyTemplateTest, WhatCannotBeReadIsRefusedWithTheReason) {
  for (const char* bad : {"", "$", "$nope", "$http_", "${host", "a\r\nb", "$cookie_"}) {
    EXPECT_FALSE(RequestKeyTemplate::Parse(bad).ok()) << bad;
  }
  EXPECT_EQ(RequestKeyTemplate::Parse("$nope").status().message(),
            "$nope is not one of $http_NAME, $cookie_NAME, $arg_NAME, $remote_user, $remote_addr, "
            "$host, $uri, $request_uri, $args, $scheme and $request_method");
  // Bounded: a tenant's key is parsed once, but expanded on every request.
  EXPECT_FALSE(RequestKeyTemplate::Parse(std::string(RequestKeyTemplate::kMaxBytes + 1, 'a')).ok());
  std::string many;
  for (size_t i = 0; i <= RequestKeyTemplate::kMaxParts; ++i) many += "$host";
  EXPECT_FALSE(RequestKeyTemplate::Parse(many).ok());
}

TEST(BasicAuthUserTest, TheUserOfABasicAuthorization) {
  EXPECT_EQ(BasicAuthUser("Basic " + absl::Base64Escape("alice:secret")), "alice");
  EXPECT_EQ(BasicAuthUser("basic " + absl::Base64Escape("bob:pa:ss")), "bob");
  EXPECT_EQ(BasicAuthUser("Basic " + absl::Base64Escape("no colon")), "");
  EXPECT_EQ(BasicAuthUser("Bearer abc"), "");
  EXPECT_EQ(BasicAuthUser("Basic !!!"), "");
  EXPECT_EQ(BasicAuthUser(""), "");
}

}  // namespace
}  // namespace gatehouse
