// A route's path regex, compiled the same way in both processes: ingress-nginx's
// `location ~* ^PATTERN` (case-insensitive, anchored at the start only), on RE2, within a
// budget a tenant cannot raise. The control plane refuses what a data plane would refuse, with
// the same words, before it publishes.
//
// The budget: a pattern's RE2 program may have at most MaxProgramSize() instructions
// (--max-regex-program-size in each process, default 200), a host at most kMaxRegexPathsPerHost
// regex paths, and a request path longer than kMaxRegexMatchBytes on a host with regex paths
// gets 414 instead of being matched. RE2 matches in time linear in the path's length, times the
// program's size in the worst case (a pattern whose automaton outgrows its memory).
//
// A data plane's event loop makes only matches whose worst case (RegexWork) is at most
// kMaxLoopRegexWork steps: under a millisecond. A costlier path match runs on the worker's
// blocking pool; a costlier header or subject match is not made (the value does not match).
// docs/performance.md gives the measured worst cases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/flags.h"
#include "re2/re2.h"

namespace gatehouse {

inline constexpr int kDefaultMaxRegexProgramSize = 200;
inline constexpr size_t kMaxRegexPathsPerHost = 32;
inline constexpr size_t kMaxRegexMatchBytes = 8192;
// About 0.5 ms at RE2's slowest (a pattern whose automaton outgrows its memory, on fresh text:
// 7 ns a step on the machine of docs/performance.md).
inline constexpr uint64_t kMaxLoopRegexWork = 64 * 1024;
// Longer patterns are refused before RE2 parses them.
inline constexpr size_t kMaxRegexPatternBytes = 4096;
// Each pattern's RE2 memory: its program and its DFA cache (RE2's default is 8 MiB).
inline constexpr int64_t kRegexMaxMemBytes = 1 << 20;

// The program-size limit; set once at start from the process's flag, before any thread reads it.
void SetMaxRegexProgramSize(int instructions);
int MaxRegexProgramSize();
// Declares --max-regex-program-size on `flags`, the same in both processes: parsing it sets the
// limit.
void AddMaxRegexProgramSizeFlag(FlagSet& flags);

// Compiles a route's path regex, or says why not (it does not compile, or is over the budget).
absl::StatusOr<std::shared_ptr<const re2::RE2>> CompilePathRegex(absl::string_view pattern);

// Compiles a pattern matched against a header's value (ingress-nginx's canary-by-header-pattern):
// case-sensitive, found anywhere in the value, within the same budget as paths.
absl::StatusOr<std::shared_ptr<const re2::RE2>> CompileValueRegex(absl::string_view pattern);

// RE2's worst case for matching `bytes` bytes against `regex`: its instructions times the bytes.
inline uint64_t RegexWork(const re2::RE2& regex, size_t bytes) {
  return static_cast<uint64_t>(regex.ProgramSize()) * bytes;
}

// Whether `path` (no query) starts with a match of `regex`.
bool MatchesPathRegex(const re2::RE2& regex, absl::string_view path);

// Whether a match of `regex` (from CompileValueRegex) is found anywhere in `value`. A value too
// long to match within kMaxLoopRegexWork does not match: for a pattern of the budget's 200
// instructions, one over 327 bytes.
bool MatchesValueRegex(const re2::RE2& regex, absl::string_view value);

}  // namespace gatehouse
