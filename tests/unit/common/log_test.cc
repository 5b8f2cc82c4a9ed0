// Log lines stay one line each whatever a message carries: values from requests and tenants are
// written with their control characters escaped.
#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(LogTest, ControlCharactersAreEscapedOtherBytesKept) {
  EXPECT_EQ(EscapeControlCharacters("plain text, \"quoted\" \\ and \xc3\xa9"),
            "plain text, \"quoted\" \\ and \xc3\xa9");
  EXPECT_EQ(EscapeControlCharacters("a\r\nb\tc"), "a\\r\\nb\\tc");
  EXPECT_EQ(EscapeControlCharacters(std::string("nul\0esc\x1b[31mdel\x7f", 16)),
            "nul\\x00esc\\x1b[31mdel\\x7f");
}

// What LogLine writes for `message` (a warning from dir/source.cc:7): stderr goes to a file for
// the length of one log line.
std::string Logged(absl::string_view message) {
  char path[] = "/tmp/gatehouse-log-test-XXXXXX";
  int file = mkstemp(path);
  EXPECT_GE(file, 0);
  int saved = dup(STDERR_FILENO);
  EXPECT_GE(saved, 0);
  EXPECT_GE(dup2(file, STDERR_FILENO), 0);
  LogLine(LogLevel::kWarning, "dir/source.cc", 7, message);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string written(4096, '\0');
  ssize_t n = pread(file, written.data(), written.size(), 0);
  close(file);
  unlink(path);
  written.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));
  return written;
}

TEST(LogTest, AMessageWithLineBreaksIsWrittenAsOneLine) {
  std::string written =
      Logged("annotation value x\n2026-01-01T00:00:00.000Z INFO forged.cc:1] all is well");
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.find('\n'), written.size() - 1) << written;  // the line's own end only
  EXPECT_NE(written.find("WARN source.cc:7] annotation value x\\n2026-01-01"), std::string::npos)
      << written;
}

// --log-format=json: each line one JSON object, its message a JSON string (control characters
// escaped as JSON escapes them), so a log pipeline parses it without a pattern.
TEST(LogTest, TheJsonFormatWritesOneObjectALine) {
  ASSERT_TRUE(ParseLogFormat("json").ok());
  SetLogFormat(*ParseLogFormat("json"));
  std::string written = Logged("a \"quoted\" value\n{\"level\":\"info\"}");
  SetLogFormat(LogFormat::kText);
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.find('\n'), written.size() - 1) << written;
  EXPECT_EQ(written.rfind("{\"time\":\"", 0), 0u) << written;
  EXPECT_NE(written.find("\"level\":\"warning\",\"source\":\"source.cc:7\",\"message\":\"a "
                         "\\\"quoted\\\" value\\n{\\\"level\\\":\\\"info\\\"}\"}\n"),
            std::string::npos)
      << written;
  EXPECT_FALSE(ParseLogFormat("xml").ok());
}

}  // namespace
}  // namespace gatehouse
