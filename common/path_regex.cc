#include "common/path_regex.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace gatehouse {
namespace {

// Written only while flags are parsed at start, before any thread reads it.
int g_max_program_size = kDefaultMaxRegexProgramSize;

}  // namespace

void SetMaxRegexProgramSize(int instructions) { g_max_program_size = instructions; }
int MaxRegexProgramSize() { return g_max_program_size; }

void AddMaxRegexProgramSizeFlag(FlagSet& flags) {
  flags.AddInt("max-regex-program-size", &g_max_program_size, 10, 100000,
               "a path regex compiling to more RE2 instructions is refused; the control plane "
               "and the data planes must agree (default 200)");
}

namespace {

// `what` names the pattern in messages: "path regex".
absl::StatusOr<std::shared_ptr<const re2::RE2>> CompileWithinBudget(absl::string_view pattern,
                                                                    absl::string_view what,
                                                                    bool case_sensitive) {
  if (pattern.size() > kMaxRegexPatternBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " of ", pattern.size(),
                                                   " bytes is longer than the limit of ",
                                                   kMaxRegexPatternBytes));
  }
  re2::RE2::Options options;
  options.set_case_sensitive(case_sensitive);
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMemBytes);
  auto regex =
      std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", QuoteForMessage(pattern),
                     " does not compile: ", QuoteForMessage(regex->error())));
  }
  int size = regex->ProgramSize();
  if (size > MaxRegexProgramSize()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", QuoteForMessage(pattern), " compiles to ", size,
                     " RE2 instructions, more than the limit of ", MaxRegexProgramSize(),
                     " (--max-regex-program-size)"));
  }
  return regex;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const re2::RE2>> CompilePathRegex(absl::string_view pattern) {
  return CompileWithinBudget(pattern, "path regex", /*case_sensitive=*/false);
}

absl::StatusOr<std::shared_ptr<const re2::RE2>> CompileValueRegex(absl::string_view pattern) {
  return CompileWithinBudget(pattern, "header regex", /*case_sensitive=*/true);
}

bool MatchesPathRegex(const re2::RE2& regex, absl::string_view path) {
  return regex.Match(re2::StringPiece(path.data(), path.size()), 0, path.size(),
                     re2::RE2::ANCHOR_START, nullptr, 0);
}

bool MatchesValueRegex(const re2::RE2& regex, absl::string_view value) {
  if (RegexWork(regex, value.size()) > kMaxLoopRegexWork) return false;
  return regex.Match(re2::StringPiece(value.data(), value.size()), 0, value.size(),
                     re2::RE2::UNANCHORED, nullptr, 0);
}

}  // namespace gatehouse
