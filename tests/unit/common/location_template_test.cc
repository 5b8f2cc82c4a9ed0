// Redirect locations with nginx's request variables (ingress-nginx's permanent-redirect and
// temporal-redirect take nginx's `return CODE URL`).
#include "common/location_template.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(LocationTemplateTest, VariablesExpandAndUnknownOnesAreRefused) {
  absl::StatusOr<LocationTemplate> location =
      LocationTemplate::Parse("$scheme://new.test/$host$uri?from=$args&all=$request_uri");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->Expand("/a/b?x=1", "old.test", "https"),
            "https://new.test/old.test/a/b?from=x=1&all=/a/b?x=1");
  EXPECT_EQ(location->LiteralPrefix(), "");
  EXPECT_EQ(LocationTemplate::Parse("https://a.test$uri")->LiteralPrefix(), "https://a.test");
  EXPECT_FALSE(LocationTemplate::Parse("https://a.test$remote_addr").ok());
  EXPECT_FALSE(LocationTemplate::Parse("https://a.test\r\nX: 1").ok());
  EXPECT_TRUE(IsAbsolutePathValue("/app"));
  EXPECT_FALSE(IsAbsolutePathValue("//evil.test"));
  EXPECT_FALSE(IsAbsolutePathValue("app"));
}

}  // namespace
}  // namespace gatehouse
