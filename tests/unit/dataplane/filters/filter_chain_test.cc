// Compiling a route's typed filter list into a chain.
#include "dataplane/filters/filter_chain.h"

#include "dataplane/filters/request_body_limit.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::filters {
namespace {

TEST(FilterChainTest, CompilesInOrderAndMakesFreshInstancesPerRequest) {
  google::protobuf::RepeatedPtrField<v1::Filter> list;
  list.Add()->mutable_https_redirect();
  list.Add()->mutable_request_body_limit()->set_max_bytes(5);
  list.Add()->mutable_forwarding_headers();
  absl::StatusOr<FilterChain> chain = FilterChain::Compile(list);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->size(), 3u);
  FilterList first;
  FilterList second;
  chain->CreateFilters(first);
  chain->CreateFilters(second);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_NE(dynamic_cast<RequestBodyLimitFilter*>(first[1].get()), nullptr);
  EXPECT_NE(first[1].get(), second[1].get());
}

TEST(FilterChainTest, EveryBadFilterIsNamed) {
  google::protobuf::RepeatedPtrField<v1::Filter> list;
  list.Add();  // no config: one from a newer control plane, say
  list.Add()->mutable_forwarding_headers();
  list.Add()->mutable_request_body_limit();
  absl::StatusOr<FilterChain> chain = FilterChain::Compile(list);
  ASSERT_FALSE(chain.ok());
  EXPECT_THAT(chain.status().message(), ::testing::HasSubstr("filters[0]"));
  EXPECT_THAT(chain.status().message(), ::testing::HasSubstr("filters[2]"));
  EXPECT_THAT(chain.status().message(), ::testing::Not(::testing::HasSubstr("filters[1]")));
}

TEST(FilterChainTest, EmptyChainCostsNoInstances) {
  absl::StatusOr<FilterChain> chain =
      FilterChain::Compile(google::protobuf::RepeatedPtrField<v1::Filter>());
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->empty());
  FilterList filters;
  chain->CreateFilters(filters);
  EXPECT_TRUE(filters.empty());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
