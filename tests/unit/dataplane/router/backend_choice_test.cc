// The route's backend choice. The canary cases restate ingress-nginx's canary documentation
// (docs/user-guide/nginx-configuration/annotations.md, "Canary"): canary-by-header takes
// "always" and "never"; canary-by-header-value and -pattern choose the canary on a match and
// leave any other value to the next rule; then canary-by-cookie with "always" and "never"; then
// canary-weight out of canary-weight-total. The precedence is header, cookie, weight.
#include "dataplane/router/backend_choice.h"

#include <map>

#include "absl/random/random.h"
#include "common/path_regex.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::router {
namespace {

v1::Route CanaryRoute(uint32_t canary_weight, const v1::Canary& rule) {
  v1::Route route;
  v1::WeightedCluster* primary = route.add_weighted_clusters();
  primary->set_cluster("primary");
  primary->set_weight(100 - canary_weight);
  v1::WeightedCluster* canary = route.add_weighted_clusters();
  canary->set_cluster("canary");
  canary->set_weight(canary_weight);
  *route.mutable_canary() = rule;
  return route;
}

http::HeaderMap Headers(std::initializer_list<std::pair<std::string, std::string>> fields) {
  http::HeaderMap headers;
  for (const auto& [name, value] : fields) headers.Add(name, value);
  return headers;
}

TEST(BackendChoiceTest, OneClusterIsAlwaysTaken) {
  v1::Route route;
  route.set_cluster("web");
  absl::StatusOr<BackendChoice> choice = BackendChoice::Compile(route);
  ASSERT_TRUE(choice.ok()) << choice.status();
  absl::InsecureBitGen random;
  const Backend* backend = choice->Choose(http::HeaderMap(), random);
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->cluster, "web");
}

TEST(BackendChoiceTest, CanaryPrecedenceTable) {
  struct Row {
    const char* why;
    v1::Canary rule;
    uint32_t weight;  // the canary's, of 100
    http::HeaderMap headers;
    const char* want;
  };
  v1::Canary by_header;
  by_header.set_header("X-Canary");
  v1::Canary by_value = by_header;
  by_value.set_header_value("v2");
  v1::Canary by_pattern = by_header;
  by_pattern.set_header_pattern("^(beta|v2)-");
  v1::Canary value_and_pattern = by_value;
  value_and_pattern.set_header_pattern(".*");
  v1::Canary header_and_cookie = by_header;
  header_and_cookie.set_cookie("canary");
  v1::Canary value_and_cookie = by_value;
  value_and_cookie.set_cookie("canary");
  v1::Canary by_cookie;
  by_cookie.set_cookie("canary");
  const Row rows[] = {
      {"header always", by_header, 0, Headers({{"x-canary", "always"}}), "canary"},
      {"header never beats weight 100", by_header, 100, Headers({{"X-Canary", "never"}}),
       "primary"},
      {"other header value: the weight decides (0)", by_header, 0, Headers({{"X-Canary", "yes"}}),
       "primary"},
      {"other header value: the weight decides (100)", by_header, 100,
       Headers({{"X-Canary", "yes"}}), "canary"},
      {"values are case-sensitive", by_header, 0, Headers({{"X-Canary", "Always"}}), "primary"},
      {"no header: the weight decides", by_header, 100, Headers({}), "canary"},
      {"header-value matches", by_value, 0, Headers({{"X-Canary", "v2"}}), "canary"},
      {"header-value: always means nothing", by_value, 0, Headers({{"X-Canary", "always"}}),
       "primary"},
      {"header-value: never means nothing", by_value, 100, Headers({{"X-Canary", "never"}}),
       "canary"},
      {"header-value: another value goes on to the cookie", value_and_cookie, 0,
       Headers({{"X-Canary", "v3"}, {"Cookie", "canary=always"}}), "canary"},
      {"header-pattern matches anywhere it is anchored to", by_pattern, 0,
       Headers({{"X-Canary", "beta-7"}}), "canary"},
      {"header-pattern does not match", by_pattern, 0, Headers({{"X-Canary", "gamma-7"}}),
       "primary"},
      {"header-pattern is not tried on a value too long for the loop's regex budget", by_pattern, 0,
       Headers({{"X-Canary", "beta-" + std::string(kMaxLoopRegexWork, '7')}}), "primary"},
      {"header-value wins over pattern", value_and_pattern, 0, Headers({{"X-Canary", "v1"}}),
       "primary"},
      {"header beats cookie", header_and_cookie, 0,
       Headers({{"X-Canary", "never"}, {"Cookie", "canary=always"}}), "primary"},
      {"header always beats cookie never", header_and_cookie, 0,
       Headers({{"X-Canary", "always"}, {"Cookie", "canary=never"}}), "canary"},
      {"cookie always", by_cookie, 0, Headers({{"Cookie", "a=1; canary=always; b=2"}}), "canary"},
      {"cookie never beats weight 100", by_cookie, 100, Headers({{"Cookie", "canary=never"}}),
       "primary"},
      {"other cookie value: the weight decides", by_cookie, 100,
       Headers({{"Cookie", "canary=maybe"}}), "canary"},
      {"a cookie of a longer name is another cookie", by_cookie, 0,
       Headers({{"Cookie", "canaryx=always"}}), "primary"},
      {"only the first header of the name counts", by_header, 0,
       Headers({{"X-Canary", "yes"}, {"X-Canary", "always"}}), "primary"},
  };
  absl::InsecureBitGen random;
  for (const Row& row : rows) {
    absl::StatusOr<BackendChoice> choice =
        BackendChoice::Compile(CanaryRoute(row.weight, row.rule));
    ASSERT_TRUE(choice.ok()) << row.why << ": " << choice.status();
    for (int i = 0; i < 20; ++i) {
      const Backend* backend = choice->Choose(row.headers, random);
      ASSERT_NE(backend, nullptr) << row.why;
      EXPECT_EQ(backend->cluster, row.want) << row.why;
    }
  }
}

TEST(BackendChoiceTest, WeightsSplitRequestsInProportion) {
  v1::Route route;
  for (auto [name, weight] : {std::pair{"a", 1u}, {"b", 3u}, {"c", 6u}, {"d", 0u}}) {
    v1::WeightedCluster* cluster = route.add_weighted_clusters();
    cluster->set_cluster(name);
    cluster->set_weight(weight);
  }
  absl::StatusOr<BackendChoice> choice = BackendChoice::Compile(route);
  ASSERT_TRUE(choice.ok()) << choice.status();
  absl::InsecureBitGen random;
  std::map<std::string, int> counts;
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) ++counts[choice->Choose(http::HeaderMap(), random)->cluster];
  EXPECT_EQ(counts.count("d"), 0u);
  // Each share inside 1% of its weight's (about 7 standard deviations for the smallest).
  EXPECT_NEAR(counts["a"] / double(kDraws), 0.1, 0.01);
  EXPECT_NEAR(counts["b"] / double(kDraws), 0.3, 0.01);
  EXPECT_NEAR(counts["c"] / double(kDraws), 0.6, 0.01);
}

TEST(BackendChoiceTest, EveryWeightZeroChoosesNothing) {
  v1::Route route;
  route.add_weighted_clusters()->set_cluster("a");
  route.add_weighted_clusters()->set_cluster("b");
  absl::StatusOr<BackendChoice> choice = BackendChoice::Compile(route);
  ASSERT_TRUE(choice.ok()) << choice.status();
  absl::InsecureBitGen random;
  EXPECT_EQ(choice->Choose(http::HeaderMap(), random), nullptr);
}

TEST(BackendChoiceTest, RefusesWhatCannotBeChosenFrom) {
  struct Row {
    const char* why;
    v1::Route route;
    const char* error;
  };
  std::vector<Row> rows;
  rows.push_back({"no cluster", v1::Route(), ": no cluster"});
  {
    v1::Route route;
    route.add_weighted_clusters()->set_weight(1);
    rows.push_back({"weighted cluster without a name", route, "weighted_clusters[0]: no cluster"});
  }
  {
    v1::Route route;
    for (int i = 0; i < kMaxWeightedClusters + 1; ++i) {
      route.add_weighted_clusters()->set_cluster("c");
    }
    rows.push_back({"too many", route, "more than 16"});
  }
  {
    v1::Route route;
    v1::WeightedCluster* cluster = route.add_weighted_clusters();
    cluster->set_cluster("c");
    cluster->set_weight(kMaxClusterWeight + 1);
    rows.push_back({"weight too large", route, "is more than 1000000"});
  }
  {
    v1::Route route;
    route.set_cluster("only");
    route.mutable_canary()->set_header("X-Canary");
    rows.push_back({"canary without two clusters", route, "needs exactly two"});
  }
  {
    v1::Canary rule;
    rule.set_header("X Canary\r\n");
    rows.push_back({"header name with CR LF", CanaryRoute(10, rule), "is not a header name"});
  }
  {
    v1::Canary rule;
    rule.set_cookie("a=b");
    rows.push_back({"cookie name with =", CanaryRoute(10, rule), "is not a cookie name"});
  }
  {
    v1::Canary rule;
    rule.set_header("X-Canary");
    rule.set_header_pattern("(unclosed");
    rows.push_back({"pattern that does not compile", CanaryRoute(10, rule), "does not compile"});
  }
  {
    v1::Canary rule;
    rule.set_header("X-Canary");
    rule.set_header_pattern("(alpha|beta|gamma|delta){20,40}");
    rows.push_back({"pattern over the budget", CanaryRoute(10, rule), "RE2 instructions"});
  }
  for (const Row& row : rows) {
    absl::StatusOr<BackendChoice> choice = BackendChoice::Compile(row.route);
    ASSERT_FALSE(choice.ok()) << row.why;
    EXPECT_NE(choice.status().message().find(row.error), std::string::npos)
        << row.why << ": " << choice.status().message();
  }
}

}  // namespace
}  // namespace gatehouse::dataplane::router
