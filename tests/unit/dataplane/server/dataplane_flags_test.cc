#include "dataplane/server/dataplane_flags.h"

#include <string>
#include <vector>

#include "common/path_regex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::server {
namespace {

using ::testing::HasSubstr;

absl::Status Parse(DataplaneFlags* out, std::vector<std::string> args) {
  FlagSet flags("gatehouse-dataplane", "test");
  RegisterDataplaneFlags(flags, out);
  args.insert(args.begin(), "gatehouse-dataplane");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return flags.Parse(static_cast<int>(argv.size()), argv.data());
}

TEST(DataplaneFlagsTest, DefaultsAndValues) {
  DataplaneFlags flags;
  ASSERT_TRUE(Parse(&flags, {"--xds-server=127.0.0.1:18000,[::1]:18001", "--workers=3",
                             "--https-listen=127.0.0.1:8443", "--upstream-response-timeout=2s"})
                  .ok());
  ASSERT_EQ(flags.xds_servers.size(), 2u);
  EXPECT_EQ(flags.xds_servers[1], (HostPort{"::1", 18001}));
  EXPECT_EQ(flags.workers, 3);
  EXPECT_EQ(flags.http_listen, (HostPort{"0.0.0.0", 8080}));
  ASSERT_TRUE(flags.https_listen.has_value());
  EXPECT_EQ(*flags.https_listen, (HostPort{"127.0.0.1", 8443}));
  EXPECT_EQ(flags.admin_listen, (HostPort{"127.0.0.1", 19001}));
  EXPECT_EQ(flags.proxy.upstream_response_timeout, absl::Seconds(2));
  EXPECT_EQ(flags.proxy.idle_timeout, absl::Seconds(60));
  EXPECT_EQ(flags.drain_timeout, absl::Seconds(30));
  EXPECT_EQ(flags.proxy.max_connection_buffer, 4u << 20);
  EXPECT_TRUE(flags.proxy.request_metrics);
  EXPECT_EQ(MaxRegexProgramSize(), kDefaultMaxRegexProgramSize);
}

TEST(DataplaneFlagsTest, TheRegexBudgetIsTheProcesssOwn) {
  DataplaneFlags flags;
  ASSERT_TRUE(
      Parse(&flags, {"--max-regex-program-size=300", "--max-connection-buffer=512KiB"}).ok());
  EXPECT_EQ(MaxRegexProgramSize(), 300);
  EXPECT_EQ(flags.proxy.max_connection_buffer, 512u << 10);
  SetMaxRegexProgramSize(kDefaultMaxRegexProgramSize);
}

TEST(DataplaneFlagsTest, BadValuesAreOneClearLine) {
  struct Case {
    std::string arg;
    std::string message;
  };
  const Case cases[] = {
      {"--xds-server=nohost", "xds-server"},
      {"--workers=0", "workers"},
      {"--http-listen=1.2.3.4", "http-listen"},
      {"--idle-timeout=forever", "idle-timeout"},
      {"--tls-min-version=1.1", "tls-min-version"},
      {"--log-level=loud", "log-level"},
      {"--no-such-flag=1", "no-such-flag"},
      {"--max-regex-program-size=5", "max-regex-program-size"},
      {"--max-connection-buffer=4MB", "max-connection-buffer"},
  };
  for (const Case& c : cases) {
    DataplaneFlags flags;
    absl::Status status = Parse(&flags, {c.arg});
    ASSERT_FALSE(status.ok()) << c.arg;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.arg;
    EXPECT_EQ(std::string(status.message()).find('\n'), std::string::npos) << c.arg;
  }
}

}  // namespace
}  // namespace gatehouse::dataplane::server
