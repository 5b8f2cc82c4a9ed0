// Basic authentication. Reference: RFC 7617 (credentials are base64 of user ":" password; the
// scheme name is case-insensitive; the challenge is WWW-Authenticate: Basic realm="..."), and
// ingress-nginx's basic-auth documentation (auth-type basic, auth-secret with htpasswd lines,
// auth-realm; a request without the right user and password gets 401).
#include "dataplane/filters/basic_auth.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

// Made with `openssl passwd -apr1 -salt Xy9sQ3ab 's3cret pass'` and Python's crypt (bcrypt).
constexpr const char* kApr1 = "$apr1$Xy9sQ3ab$staTRWA/PZZOAPU1NcraH.";
constexpr const char* kBcrypt = "$2y$05$abcdefghijklmnopqrstuuoXuKqgZXLiJqzfmMXDDhSFPIvxV7t8.";

v1::Filter Config(std::vector<std::pair<std::string, std::string>> users,
                  const char* realm = "Staff only") {
  v1::Filter config;
  config.mutable_basic_auth()->set_realm(realm);
  for (auto& [name, hash] : users) {
    v1::BasicAuth::User* user = config.mutable_basic_auth()->add_users();
    user->set_name(name);
    user->set_hash(hash);
  }
  return config;
}

http::RequestHead WithCredentials(absl::string_view user_and_password,
                                  absl::string_view scheme = "Basic") {
  http::RequestHead head = Request("GET", "a.test", "/");
  head.headers.Add("Authorization",
                   absl::StrCat(scheme, " ", absl::Base64Escape(user_and_password)));
  return head;
}

void ExpectChallenge(const FakeFilterCallbacks& callbacks, const char* realm) {
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 401);
  const std::string* challenge = callbacks.local_reply->headers.Get("www-authenticate");
  ASSERT_NE(challenge, nullptr);
  EXPECT_EQ(*challenge, absl::StrCat("Basic realm=\"", realm, "\""));
}

TEST(BasicAuthFilterTest, RequestsWithoutUsableCredentialsAreChallengedUnchecked) {
  v1::Filter config = Config({{"alice", kApr1}});
  http::RequestHead cases[] = {
      Request("GET", "a.test", "/"),  // no Authorization
      WithCredentials("alice:s3cret pass", "Bearer"),
      WithCredentials("alice"),                                         // no colon
      WithCredentials("mallory:s3cret pass"),                           // no such user
      WithCredentials(absl::StrCat("alice:", std::string(1025, 'x'))),  // too long to check
  };
  http::RequestHead garbled = Request("GET", "a.test", "/");
  garbled.headers.Add("Authorization", "Basic !!!not-base64!!!");
  for (http::RequestHead& head : cases) {
    FakeFilterCallbacks callbacks;
    auto filter = MakeFilter(config, callbacks);
    EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
    ExpectChallenge(callbacks, "Staff only");
    EXPECT_TRUE(callbacks.held_work.empty());
  }
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(config, callbacks);
  EXPECT_EQ(filter->OnRequestHeaders(garbled, true), FilterStatus::kStop);
  ExpectChallenge(callbacks, "Staff only");
}

// The check runs off the loop; the chain waits for it, and resumes, once.
TEST(BasicAuthFilterTest, TheRightPasswordResumesTheChainAfterItsCheck) {
  v1::Filter config = Config({{"bob", kApr1}, {"carol", kBcrypt}});
  for (const char* credentials : {"bob:s3cret pass", "carol:hunter2"}) {
    FakeFilterCallbacks callbacks;
    auto filter = MakeFilter(config, callbacks);
    // "bAsIc": the scheme is case-insensitive.
    http::RequestHead head = WithCredentials(credentials, "bAsIc");
    EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
    EXPECT_EQ(callbacks.continued, 0);
    EXPECT_EQ(callbacks.RunHeldWork(), 1u);
    EXPECT_EQ(callbacks.continued, 1) << credentials;
    EXPECT_FALSE(callbacks.local_reply.has_value());
  }
}

TEST(BasicAuthFilterTest, AWrongPasswordIsChallengedAfterItsCheck) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config({{"dave", kBcrypt}}, ""), callbacks);
  http::RequestHead head = WithCredentials("dave:Hunter2");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  EXPECT_EQ(callbacks.RunHeldWork(), 1u);
  EXPECT_EQ(callbacks.continued, 0);
  ExpectChallenge(callbacks, "");
}

// At most one hash per request: the same right credentials again cost no check at all, and a
// wrong password is never remembered as right.
TEST(BasicAuthFilterTest, CredentialsFoundRightAreNotCheckedAgain) {
  v1::Filter config = Config({{"erin", kApr1}});
  {
    FakeFilterCallbacks callbacks;
    auto filter = MakeFilter(config, callbacks);
    http::RequestHead head = WithCredentials("erin:s3cret pass");
    EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
    callbacks.RunHeldWork();
  }
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(config, callbacks);
  http::RequestHead again = WithCredentials("erin:s3cret pass");
  EXPECT_EQ(filter->OnRequestHeaders(again, true), FilterStatus::kContinue);
  EXPECT_TRUE(callbacks.held_work.empty());
  http::RequestHead wrong = WithCredentials("erin:s3cret pas");
  EXPECT_EQ(filter->OnRequestHeaders(wrong, true), FilterStatus::kStop);
  EXPECT_EQ(callbacks.held_work.size(), 1u);
  // A new hash for the same user (a changed Secret) is checked again.
  FakeFilterCallbacks changed;
  auto renewed = MakeFilter(Config({{"erin", "$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0"}}), changed);
  http::RequestHead old = WithCredentials("erin:s3cret pass");
  EXPECT_EQ(renewed->OnRequestHeaders(old, true), FilterStatus::kStop);
  changed.RunHeldWork();
  ExpectChallenge(changed, "Staff only");
}

// A request that goes away while its check runs is never touched by the check's end.
TEST(BasicAuthFilterTest, ACheckOutlivingItsRequestTouchesNothing) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config({{"frank", kBcrypt}}), callbacks);
  http::RequestHead head = WithCredentials("frank:hunter2");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  filter.filter.reset();
  EXPECT_EQ(callbacks.RunHeldWork(), 1u);
  EXPECT_EQ(callbacks.continued, 0);
  EXPECT_FALSE(callbacks.local_reply.has_value());
}

TEST(BasicAuthFilterTest, TooManyChecksWaitingOrACancelledOneAnswer503) {
  v1::Filter config = Config({{"grace", kBcrypt}});
  FakeFilterCallbacks full;
  full.blocking_limit = 0;
  auto filter = MakeFilter(config, full);
  http::RequestHead head = WithCredentials("grace:hunter2");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  ASSERT_TRUE(full.local_reply.has_value());
  EXPECT_EQ(full.local_reply->status, 503);
  EXPECT_NE(full.local_reply->headers.Get("retry-after"), nullptr);

  FakeFilterCallbacks stopping;
  auto other = MakeFilter(config, stopping);
  http::RequestHead again = WithCredentials("grace:hunter2");
  EXPECT_EQ(other->OnRequestHeaders(again, true), FilterStatus::kStop);
  stopping.RunHeldWork(/*ran=*/false);
  ASSERT_TRUE(stopping.local_reply.has_value());
  EXPECT_EQ(stopping.local_reply->status, 503);
  EXPECT_EQ(stopping.continued, 0);
}

// Credentials that could not be read fail closed, as ingress-nginx denies the location.
TEST(BasicAuthFilterTest, ARouteWhoseCredentialsCouldNotBeReadAnswers503) {
  v1::Filter config = Config({{"heidi", kApr1}});
  config.mutable_basic_auth()->set_deny(true);
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(config, callbacks);
  http::RequestHead head = WithCredentials("heidi:s3cret pass");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kStop);
  ASSERT_TRUE(callbacks.local_reply.has_value());
  EXPECT_EQ(callbacks.local_reply->status, 503);
}

TEST(BasicAuthFilterTest, ConfigsThatCannotBeServedAreRefused) {
  EXPECT_FALSE(CompileFilter(Config({{"a", kApr1}}, "say \"hi\"")).ok());
  EXPECT_FALSE(CompileFilter(Config({{"a", kApr1}}, "line\r\nX-Evil: 1")).ok());
  EXPECT_FALSE(CompileFilter(Config({{"a", kApr1}}, std::string(257, 'r').c_str())).ok());
  EXPECT_FALSE(CompileFilter(Config({{"a", "abJnggxhB/yWI"}})).ok());  // DES
  EXPECT_FALSE(CompileFilter(Config({{"a", "plain"}})).ok());
  EXPECT_FALSE(CompileFilter(Config({{"a", kApr1}, {"a", kBcrypt}})).ok());
  EXPECT_TRUE(CompileFilter(Config({{"a", kApr1}, {"b", kBcrypt}})).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
