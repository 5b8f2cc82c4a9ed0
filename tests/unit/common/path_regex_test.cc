// A route's path regex as both processes compile it: ingress-nginx's "location ~* ^PATTERN"
// (ingress-nginx docs, "Ingress Path Matching": regex paths are case-insensitive and anchored at
// the start), within a program-size budget (Envoy's max_program_size is the same idea).
#include "common/path_regex.h"

#include <string>

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(PathRegexTest, CaseInsensitiveAndAnchoredAtTheStartOnly) {
  absl::StatusOr<std::shared_ptr<const re2::RE2>> regex = CompilePathRegex("/api/v[0-9]+/");
  ASSERT_TRUE(regex.ok()) << regex.status();
  EXPECT_TRUE(MatchesPathRegex(**regex, "/api/v2/users"));
  EXPECT_TRUE(MatchesPathRegex(**regex, "/API/V2/"));
  EXPECT_FALSE(MatchesPathRegex(**regex, "/x/api/v2/"));
  EXPECT_FALSE(MatchesPathRegex(**regex, "/api/vx/"));
}

TEST(PathRegexTest, TheBudgetCountsTheCaseInsensitiveProgram) {
  // 45 instructions case-sensitively, 245 case-insensitively ([a-z] becomes [A-Za-z]): the
  // data plane compiles it the second way, so the control plane must too.
  absl::StatusOr<std::shared_ptr<const re2::RE2>> big = CompilePathRegex("/[a-z]{40}");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            "path regex \"/[a-z]{40}\" compiles to 245 RE2 instructions, more than the limit of "
            "200 (--max-regex-program-size)");
  EXPECT_TRUE(CompilePathRegex("/[a-z]{30}").ok());  // 185
  SetMaxRegexProgramSize(300);
  EXPECT_TRUE(CompilePathRegex("/[a-z]{40}").ok());
  SetMaxRegexProgramSize(kDefaultMaxRegexProgramSize);
}

TEST(PathRegexTest, BrokenOrOversizedPatternsAreRefusedWithTheirTextEscaped) {
  absl::StatusOr<std::shared_ptr<const re2::RE2>> broken = CompilePathRegex("/(a\r\n");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message(),
            "path regex \"/(a\\r\\n\" does not compile: \"missing ): /(a\\r\\n\"");
  absl::StatusOr<std::shared_ptr<const re2::RE2>> huge =
      CompilePathRegex("/" + std::string(kMaxRegexPatternBytes, 'a'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().message(), "path regex of 4097 bytes is longer than the limit of 4096");
}

// A value is matched only when RE2's worst case for it fits the loop's budget: the pattern's
// instructions times the value's bytes.
TEST(PathRegexTest, AValueTooLongForTheLoopsBudgetDoesNotMatch) {
  std::shared_ptr<const re2::RE2> regex = CompileValueRegex("beta").value();
  size_t fits = kMaxLoopRegexWork / static_cast<size_t>(regex->ProgramSize());
  ASSERT_GT(RegexWork(*regex, fits + 1), kMaxLoopRegexWork);
  EXPECT_TRUE(MatchesValueRegex(*regex, "x-beta-7"));
  EXPECT_TRUE(MatchesValueRegex(*regex, std::string(fits - 4, 'x') + "beta"));
  EXPECT_FALSE(MatchesValueRegex(*regex, std::string(fits - 3, 'x') + "beta"));
  EXPECT_FALSE(MatchesValueRegex(*regex, "alpha"));
}

}  // namespace
}  // namespace gatehouse
