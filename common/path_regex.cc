#include "common/path_regex.h"

#include <atomic>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gatehouse {
namespace {

std::atomic<int> g_max_program_size{kDefaultMaxRegexProgramSize};

// A tenant's pattern as messages quote it: escaped, and cut short.
std::string Quoted(absl::string_view pattern) {
  constexpr size_t kShown = 128;
  if (pattern.size() <= kShown) return absl::StrCat("\"", absl::CHexEscape(pattern), "\"");
  return absl::StrCat("\"", absl::CHexEscape(pattern.substr(0, kShown)), "\"...");
}

}  // namespace

void SetMaxRegexProgramSize(int instructions) { g_max_program_size.store(instructions); }
int MaxRegexProgramSize() { return g_max_program_size.load(std::memory_order_relaxed); }

void AddMaxRegexProgramSizeFlag(FlagSet& flags) {
  flags.AddCustom(
      "max-regex-program-size", "N",
      [](absl::string_view value) -> absl::Status {
        int size = 0;
        if (!absl::SimpleAtoi(value, &size) || size < 10 || size > 100000) {
          return absl::InvalidArgumentError("want a whole number from 10 to 100000");
        }
        SetMaxRegexProgramSize(size);
        return absl::OkStatus();
      },
      "a path regex compiling to more RE2 instructions is refused; the control plane and the "
      "data planes must agree (default 200)");
}

absl::StatusOr<std::shared_ptr<const re2::RE2>> CompilePathRegex(absl::string_view pattern) {
  if (pattern.size() > kMaxRegexPatternBytes) {
    return absl::InvalidArgumentError(absl::StrCat("path regex of ", pattern.size(),
                                                   " bytes is longer than the limit of ",
                                                   kMaxRegexPatternBytes));
  }
  re2::RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMemBytes);
  auto regex =
      std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) {
    return absl::InvalidArgumentError(absl::StrCat("path regex ", Quoted(pattern),
                                                   " does not compile: ", Quoted(regex->error())));
  }
  int size = regex->ProgramSize();
  if (size > MaxRegexProgramSize()) {
    return absl::InvalidArgumentError(
        absl::StrCat("path regex ", Quoted(pattern), " compiles to ", size,
                     " RE2 instructions, more than the limit of ", MaxRegexProgramSize(),
                     " (--max-regex-program-size)"));
  }
  return regex;
}

bool MatchesPathRegex(const re2::RE2& regex, absl::string_view path) {
  return regex.Match(re2::StringPiece(path.data(), path.size()), 0, path.size(),
                     re2::RE2::ANCHOR_START, nullptr, 0);
}

}  // namespace gatehouse
