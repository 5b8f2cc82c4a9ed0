// Process-wide logging: one line per event on stderr, with level, time and source position, as
// text or as one JSON object per line (--log-format, the same in both processes).
//
// The level can be changed at run time (the admin API's log-level call); lines below it cost one
// relaxed atomic load.
#pragma once

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/flags.h"

namespace gatehouse {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning" (or "warn") and "error".
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
absl::string_view LogLevelName(LogLevel level);

enum class LogFormat { kText, kJson };

// Parses "text" and "json".
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);
// Set once at start, before any thread logs.
void SetLogFormat(LogFormat format);
// Declares --log-format on `flags`, the same in both processes: parsing it sets the format.
void AddLogFormatFlag(FlagSet& flags);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

// `message` with each control character (a line break, an escape sequence, NUL, DEL) written
// as \n, \r, \t or \xHH: a value from a request or a tenant can neither forge a log line nor
// drive a terminal. Other bytes pass as they are (text quoted already escaped stays readable).
std::string EscapeControlCharacters(absl::string_view message);

// A tenant's or a client's text as a message quotes it (a log line, an Event, a status): in
// double quotes, C-escaped, and past 128 bytes cut short with its full length given.
std::string QuoteForMessage(absl::string_view text);

// Writes one line, its message escaped (EscapeControlCharacters; as a JSON string in the JSON
// format); thread-safe.
void LogLine(LogLevel level, const char* file, int line, absl::string_view message);

// Writes one error line and aborts: for states that cannot happen unless the code is wrong (an
// object's phase moving where it cannot go), never for bad input.
[[noreturn]] void LogFatal(const char* file, int line, absl::string_view message);

}  // namespace gatehouse

#define GH_LOG(level, ...)                                                   \
  do {                                                                       \
    if (::gatehouse::LogEnabled(::gatehouse::LogLevel::level)) {             \
      ::gatehouse::LogLine(::gatehouse::LogLevel::level, __FILE__, __LINE__, \
                           ::absl::StrCat(__VA_ARGS__));                     \
    }                                                                        \
  } while (0)
#define LOG_DEBUG(...) GH_LOG(kDebug, __VA_ARGS__)
#define LOG_INFO(...) GH_LOG(kInfo, __VA_ARGS__)
#define LOG_WARNING(...) GH_LOG(kWarning, __VA_ARGS__)
#define LOG_ERROR(...) GH_LOG(kError, __VA_ARGS__)
#define LOG_FATAL(...) ::gatehouse::LogFatal(__FILE__, __LINE__, ::absl::StrCat(__VA_ARGS__))
