// Path rewrites with capture groups. Reference: ingress-nginx's rewrite-target documentation
// (examples/rewrite: path "/something(/|$)(.*)" with rewrite-target "/$2" sends
// "/something" to "/", "/something/" to "/" and "/something/new" to "/new") and nginx's
// `rewrite` directive (the request's arguments follow the new path, after "&" when the
// replacement has arguments of its own, and not at all when it ends with "?").
#include "common/path_rewrite.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(PathRewriteTest, TheIngressNginxExampleAndNginxArguments) {
  struct Case {
    const char* regex;
    const char* replacement;
    const char* target;
    const char* expected;  // nullptr: the regex does not match, the path goes on unchanged
  };
  const Case cases[] = {
      {"/something(/|$)(.*)", "/$2", "/something", "/"},
      {"/something(/|$)(.*)", "/$2", "/something/", "/"},
      {"/something(/|$)(.*)", "/$2", "/something/new", "/new"},
      {"/something(/|$)(.*)", "/$2", "/something/new?x=1&y", "/new?x=1&y"},
      {"/something(/|$)(.*)", "/$2", "/SomeThing/New", "/New"},  // case-insensitive, as ~*
      {"/something(/|$)(.*)", "/$2", "/other", nullptr},
      // Without groups the whole path is replaced (the query stays).
      {"/app", "/", "/app/x/y?q=1", "/?q=1"},
      // A replacement with arguments of its own: the request's follow after "&"...
      {"/find/(.*)", "/search?q=$1", "/find/abc?lang=en", "/search?q=abc&lang=en"},
      {"/find/(.*)", "/search?q=$1", "/find/abc", "/search?q=abc"},
      // ...and a final "?" drops them.
      {"/old/(.*)", "/new/$1?", "/old/a?drop=1", "/new/a"},
      // A group that took no part is empty; $0 is the whole match.
      {"/v(1)?/(x)", "/$1-$2", "/v/x", "/-x"},
      {"/keep/.*", "$0", "/keep/a/b", nullptr},  // not a path: refused at compile (below)
  };
  for (const Case& c : cases) {
    absl::StatusOr<PathRewrite> rewrite = PathRewrite::Compile(c.regex, c.replacement);
    if (c.replacement[0] != '/') {
      EXPECT_FALSE(rewrite.ok()) << c.replacement;
      continue;
    }
    ASSERT_TRUE(rewrite.ok()) << rewrite.status();
    std::optional<std::string> got = rewrite->Apply(c.target);
    if (c.expected == nullptr) {
      EXPECT_FALSE(got.has_value()) << c.target << " -> " << got.value_or("");
    } else {
      ASSERT_TRUE(got.has_value()) << c.target;
      EXPECT_EQ(*got, c.expected) << c.regex << " " << c.replacement << " " << c.target;
    }
  }
}

TEST(PathRewriteTest, WhatCannotBeSentOrNamesMissingGroupsIsRefused) {
  struct Case {
    const char* regex;
    const char* replacement;
    const char* error;
  };
  const Case cases[] = {
      {"/a/(.*)", "/$2", "names $2 but the path regex has 1 groups"},
      {"/a/(.*)", "/$10", "only $0 to $9"},
      {"/a/(.*)", "/$host", "only $0 to $9"},
      {"/a/(.*)", "/x\r\nX-Evil: 1", "is not a path starting with /"},
      {"/a/(.*)", "x/$1", "is not a path starting with /"},
      {"/a/(", "/$1", "does not compile"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PathRewrite> rewrite = PathRewrite::Compile(c.regex, c.replacement);
    ASSERT_FALSE(rewrite.ok()) << c.replacement;
    EXPECT_NE(std::string(rewrite.status().message()).find(c.error), std::string::npos)
        << rewrite.status();
  }
}

}  // namespace
}  // namespace gatehouse
