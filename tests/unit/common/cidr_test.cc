// CIDR ranges as ingress-nginx's proxy-real-ip-cidr and whitelist-source-range take them
// (comma-separated IPv4 and IPv6 ranges or single addresses; nginx's set_real_ip_from and allow
// accept the same), matched bit by bit.
#include "common/cidr.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(CidrSetTest, RangesMatchTheirPrefixBits) {
  absl::StatusOr<CidrSet> set = CidrSet::Parse(" 10.0.0.0/8, 192.168.1.7 ,172.16.0.0/12,fd00::/8 ");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 4u);
  for (const char* in : {"10.0.0.1", "10.255.255.255", "192.168.1.7", "172.31.255.1", "fd12::1",
                         "::ffff:10.1.2.3"}) {
    EXPECT_TRUE(set->Contains(in)) << in;
  }
  for (const char* out : {"11.0.0.1", "192.168.1.8", "172.32.0.1", "fe80::1", "::1", "",
                          "10.0.0.1:80", "not an address", "[fd00::1]"}) {
    EXPECT_FALSE(set->Contains(out)) << out;
  }
  // Prefix lengths that are not a whole byte.
  set = CidrSet::Parse("203.0.113.64/26,2001:db8::/33");
  EXPECT_TRUE(set->Contains("203.0.113.127"));
  EXPECT_FALSE(set->Contains("203.0.113.128"));
  EXPECT_FALSE(set->Contains("203.0.113.63"));
  EXPECT_TRUE(set->Contains("2001:db8:7fff::1"));
  EXPECT_FALSE(set->Contains("2001:db8:8000::1"));
  EXPECT_TRUE(CidrSet::Any().Contains("198.51.100.1"));
  EXPECT_TRUE(CidrSet::Any().Contains("2001:db8::1"));
}

TEST(CidrSetTest, WhatIsNotARangeIsRefusedByName) {
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0/8",
                          "example.com", "10.0.0.0/8/9", "10.0.0.0/+8"}) {
    absl::StatusOr<CidrSet> set = CidrSet::Parse(bad);
    EXPECT_FALSE(set.ok()) << bad;
  }
  EXPECT_EQ(CidrSet::Parse("10.0.0.0/33").status().message(),
            "\"10.0.0.0/33\" has a prefix length that is not 0 to 32");
  EXPECT_TRUE(CidrSet::Parse("").ok());
  EXPECT_TRUE(CidrSet::Parse("")->empty());
}

// Lists as flags and annotations give them: each entry on its own, so one bad entry is named
// and the others kept, for the caller to decide.
TEST(CidrSetTest, ListsSplitIntoRangesAndErrors) {
  RangeList list = SplitRanges(" 10.0.0.0/8 ,, fd00::/8,bogus, 192.0.2.1/33 ");
  EXPECT_EQ(list.ranges, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
  ASSERT_EQ(list.errors.size(), 2u);
  EXPECT_EQ(list.errors[0], "\"bogus\" is not an IP address or CIDR range");
  EXPECT_TRUE(SplitRanges(" , ").ranges.empty());
}

// One parse serves any number of checks; mapped IPv4 is IPv4.
TEST(CidrSetTest, ParsedAddressesMatchAsTheirText) {
  CidrSet set = *CidrSet::Parse("10.0.0.0/8,fd00::/8");
  EXPECT_TRUE(set.Contains(IpAddress::Parse("::ffff:10.1.2.3")));
  EXPECT_TRUE(set.Contains(IpAddress::Parse("fd00::1")));
  EXPECT_FALSE(set.Contains(IpAddress::Parse("11.0.0.1")));
  EXPECT_FALSE(IpAddress::Parse("10.0.0.1:80").valid);
  EXPECT_FALSE(IpAddress::Parse(std::string(60, '1')).valid);
  EXPECT_FALSE(set.Contains(IpAddress()));
}

}  // namespace
}  // namespace gatehouse
