#include "common/log.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json_string.h"

namespace gatehouse {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
LogFormat g_format = LogFormat::kText;

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warning" || lower == "warn") return LogLevel::kWarning;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", text, "\" (want debug, info, warning or error)"));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log format ", QuoteForMessage(text), " (want text or json)"));
}

void SetLogFormat(LogFormat format) { g_format = format; }

void AddLogFormatFlag(FlagSet& flags) {
  flags.AddCustom(
      "log-format", "text|json",
      [](absl::string_view value) -> absl::Status {
        absl::StatusOr<LogFormat> format = ParseLogFormat(value);
        if (!format.ok()) return format.status();
        SetLogFormat(*format);
        return absl::OkStatus();
      },
      "log lines as text, or as one JSON object each (time, level, source, message; default "
      "text)");
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }
bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string EscapeControlCharacters(absl::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out.push_back(c);
      continue;
    }
    switch (byte) {
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        absl::StrAppend(&out, "\\x", absl::Hex(byte, absl::kZeroPad2));
    }
  }
  return out;
}

std::string QuoteForMessage(absl::string_view text) {
  constexpr size_t kShown = 128;
  if (text.size() <= kShown) return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kShown)), "\"... (", text.size(),
                      " bytes)");
}

void LogLine(LogLevel level, const char* file, int line, absl::string_view message) {
  const char* base = std::strrchr(file, '/');
  base = base ? base + 1 : file;
  std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string out;
  if (g_format == LogFormat::kJson) {
    out = absl::StrCat("{\"time\":\"", time, "\",\"level\":\"", LogLevelName(level),
                       "\",\"source\":");
    AppendJsonString(out, absl::StrCat(base, ":", line));
    out += ",\"message\":";
    AppendJsonString(out, message);  // control characters escaped, as JSON writes them
    out += "}\n";
  } else {
    out = absl::StrCat(time, " ", absl::AsciiStrToUpper(LogLevelName(level)).substr(0, 4), " ",
                       base, ":", line, "] ", EscapeControlCharacters(message), "\n");
  }
  // One write(2) per line keeps lines from different threads whole.
  ssize_t ignored = write(STDERR_FILENO, out.data(), out.size());
  (void)ignored;
}

void LogFatal(const char* file, int line, absl::string_view message) {
  LogLine(LogLevel::kError, file, line, message);
  std::abort();
}

}  // namespace gatehouse
