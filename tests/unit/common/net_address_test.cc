#include "common/net_address.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(ParseHostPortTest, Table) {
  struct Row {
    const char* text;
    bool ok;
    const char* host;
    uint16_t port;
  };
  const Row rows[] = {
      {"127.0.0.1:8080", true, "127.0.0.1", 8080},
      {"0.0.0.0:0", true, "0.0.0.0", 0},
      {"[::1]:443", true, "::1", 443},
      {"localhost:19000", true, "localhost", 19000},
      {"127.0.0.1", false, "", 0},
      {":80", false, "", 0},
      {"host:65536", false, "", 0},
      {"host:http", false, "", 0},
      {"::1:80", false, "", 0},
      {"[::1]80", false, "", 0},
  };
  for (const Row& row : rows) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(row.text);
    EXPECT_EQ(parsed.ok(), row.ok) << row.text;
    if (parsed.ok() && row.ok) {
      EXPECT_EQ(parsed->host, row.host) << row.text;
      EXPECT_EQ(parsed->port, row.port) << row.text;
    }
  }
}

TEST(ParseHostPortTest, ToStringBracketsIpv6) {
  EXPECT_EQ((HostPort{"::1", 80}).ToString(), "[::1]:80");
  EXPECT_EQ((HostPort{"10.0.0.1", 80}).ToString(), "10.0.0.1:80");
}

TEST(ParseHostPortListTest, SplitsAndRejectsPortZero) {
  absl::StatusOr<std::vector<HostPort>> list = ParseHostPortList("a:1,b:2");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].host, "b");
  EXPECT_FALSE(ParseHostPortList("a:0").ok());
  EXPECT_FALSE(ParseHostPortList("").ok());
}

}  // namespace
}  // namespace gatehouse
