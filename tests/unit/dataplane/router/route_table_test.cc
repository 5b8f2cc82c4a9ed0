#include "dataplane/router/route_table.h"

#include "absl/strings/str_cat.h"
#include "common/path_regex.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::router {
namespace {

v1::Route MakeRoute(v1::RouteMatch::PathType type, const std::string& path,
                    const std::string& cluster) {
  v1::Route route;
  route.mutable_match()->set_path_type(type);
  route.mutable_match()->set_path(path);
  route.set_cluster(cluster);
  return route;
}

v1::RouteConfiguration Config() {
  v1::RouteConfiguration config;
  config.set_name("http");
  v1::VirtualHost* app = config.add_virtual_hosts();
  app->set_name("app.example.com");
  app->add_domains("app.example.com");
  *app->add_routes() = MakeRoute(v1::RouteMatch::EXACT, "/foo", "exact-foo");
  *app->add_routes() = MakeRoute(v1::RouteMatch::PREFIX, "/foo", "prefix-foo");
  *app->add_routes() = MakeRoute(v1::RouteMatch::STRING_PREFIX, "/str", "string-prefix");
  *app->add_routes() = MakeRoute(v1::RouteMatch::REGEX, "/re/[0-9]+$", "regex");
  *app->add_routes() = MakeRoute(v1::RouteMatch::PREFIX, "/", "root");
  v1::VirtualHost* wildcard = config.add_virtual_hosts();
  wildcard->set_name("*.example.com");
  wildcard->add_domains("*.example.com");
  *wildcard->add_routes() = MakeRoute(v1::RouteMatch::PREFIX, "/", "wildcard");
  v1::VirtualHost* any = config.add_virtual_hosts();
  any->set_name("*");
  any->add_domains("*");
  *any->add_routes() = MakeRoute(v1::RouteMatch::PREFIX, "/only", "any-only");
  any->set_default_cluster("fallback");
  return config;
}

TEST(RouteTableTest, MatchTable) {
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(Config());
  ASSERT_TRUE(table.ok()) << table.status();
  struct Row {
    const char* host;
    const char* path;
    const char* cluster;  // nullptr: 404
  };
  const Row rows[] = {
      {"app.example.com", "/foo", "exact-foo"},
      {"APP.Example.COM:8080", "/foo", "exact-foo"},
      {"app.example.com.", "/foo", "exact-foo"},
      {"app.example.com", "/foo/", "prefix-foo"},
      {"app.example.com", "/foo/bar", "prefix-foo"},
      {"app.example.com", "/foobar", "root"},
      {"app.example.com", "/strange", "string-prefix"},
      {"app.example.com", "/", "root"},
      {"app.example.com", "/re/42", "regex"},
      {"app.example.com", "/RE/42", "regex"},
      {"app.example.com", "/re/42x", "root"},
      {"app.example.com", "/x/re/42", "root"},
      {"b.example.com", "/anything", "wildcard"},
      {"a.b.example.com", "/only", "any-only"},  // wildcard covers one label only
      {"example.com", "/only/x", "any-only"},
      {"example.com", "/other", "fallback"},
      {"", "/other", "fallback"},
      {"[::1]:8080", "/only", "any-only"},
  };
  for (const Row& row : rows) {
    MatchResult result = (*table)->Match(row.host, row.path);
    if (row.cluster == nullptr) {
      EXPECT_EQ(result.PrimaryCluster(), nullptr) << row.host << row.path;
    } else {
      ASSERT_NE(result.PrimaryCluster(), nullptr) << row.host << row.path;
      EXPECT_EQ(*result.PrimaryCluster(), row.cluster) << row.host << " " << row.path;
    }
  }
}

TEST(RouteTableTest, NoCatchAllMeans404) {
  v1::RouteConfiguration config;
  v1::VirtualHost* app = config.add_virtual_hosts();
  app->add_domains("app.example.com");
  *app->add_routes() = MakeRoute(v1::RouteMatch::EXACT, "/x", "x");
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(config);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ((*table)->Match("other.example.com", "/x").PrimaryCluster(), nullptr);
  EXPECT_EQ((*table)->Match("app.example.com", "/y").PrimaryCluster(), nullptr);
  EXPECT_NE((*table)->Match("app.example.com", "/x").PrimaryCluster(), nullptr);
}

TEST(RouteTableTest, ReportsEveryError) {
  v1::RouteConfiguration config;
  v1::VirtualHost* a = config.add_virtual_hosts();
  a->set_name("a");
  a->add_domains("dup.example.com");
  *a->add_routes() = MakeRoute(v1::RouteMatch::PATH_TYPE_UNSPECIFIED, "/", "c");
  v1::VirtualHost* b = config.add_virtual_hosts();
  b->set_name("b");
  b->add_domains("dup.example.com");
  *b->add_routes() = MakeRoute(v1::RouteMatch::PREFIX, "nope", "");
  *b->add_routes() = MakeRoute(v1::RouteMatch::REGEX, "/(", "c");
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(config);
  ASSERT_FALSE(table.ok());
  std::string message(table.status().message());
  EXPECT_NE(message.find("virtual_hosts[0] (a).routes[0]: unsupported path type"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("domain \"dup.example.com\" appears twice"), std::string::npos);
  EXPECT_NE(message.find("path \"nope\" must start with /"), std::string::npos);
  EXPECT_NE(message.find("routes[0]: no cluster"), std::string::npos);
  EXPECT_NE(message.find("routes[1]: path regex \"/(\" does not compile"), std::string::npos)
      << message;
}

// A version the control plane should never have sent (a version skew, a bug) costs only the
// hosts it is wrong about: the others are served.
TEST(RouteTableTest, ABadHostIsLeftOutAndTheOthersAreServed) {
  v1::RouteConfiguration config;
  v1::VirtualHost* bad = config.add_virtual_hosts();
  bad->set_name("bad");
  bad->add_domains("bad.example.com");
  *bad->add_routes() = MakeRoute(v1::RouteMatch::REGEX, "/(", "c");
  v1::VirtualHost* good = config.add_virtual_hosts();
  good->set_name("good");
  good->add_domains("good.example.com");
  *good->add_routes() = MakeRoute(v1::RouteMatch::PREFIX, "/", "good");
  // A later host naming the bad one's domain does not inherit it.
  v1::VirtualHost* usurper = config.add_virtual_hosts();
  usurper->set_name("usurper");
  usurper->add_domains("bad.example.com");
  *usurper->add_routes() = MakeRoute(v1::RouteMatch::PREFIX, "/", "usurper");
  RouteTable::Isolated built = RouteTable::BuildIsolating(config);
  ASSERT_NE(built.table, nullptr);
  ASSERT_EQ(built.dropped.size(), 2u);
  EXPECT_EQ(built.dropped[0],
            "virtual_hosts[0] (bad).routes[0]: path regex \"/(\" does not compile: \"missing ): "
            "/(\"");
  EXPECT_EQ(built.dropped[1],
            "virtual_hosts[2] (usurper): domain \"bad.example.com\" appears twice");
  MatchResult good_match = built.table->Match("good.example.com", "/x");
  ASSERT_NE(good_match.PrimaryCluster(), nullptr);
  EXPECT_EQ(*good_match.PrimaryCluster(), "good");
  EXPECT_EQ(built.table->Match("bad.example.com", "/x").virtual_host, nullptr);
  // Build, the strict form, refuses the same configuration with every reason.
  absl::StatusOr<std::shared_ptr<const RouteTable>> strict = RouteTable::Build(config);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().message(), absl::StrCat(built.dropped[0], "; ", built.dropped[1]));
}

// The regex budget (common/path_regex.h), applied by the data plane as by the control plane.
TEST(RouteTableTest, RegexPathsAreBudgeted) {
  v1::RouteConfiguration config;
  v1::VirtualHost* many = config.add_virtual_hosts();
  many->set_name("many");
  many->add_domains("many.example.com");
  for (size_t i = 0; i <= kMaxRegexPathsPerHost; ++i) {
    *many->add_routes() = MakeRoute(v1::RouteMatch::REGEX, absl::StrCat("/r", i, "/.*"), "c");
  }
  v1::VirtualHost* big = config.add_virtual_hosts();
  big->set_name("big");
  big->add_domains("big.example.com");
  *big->add_routes() = MakeRoute(v1::RouteMatch::REGEX, "/[a-z]{40}", "c");
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(config);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            "virtual_hosts[0] (many).routes[32]: more than 32 regex paths on one host; "
            "virtual_hosts[1] (big).routes[0]: path regex \"/[a-z]{40}\" compiles to 245 RE2 "
            "instructions, more than the limit of 200 (--max-regex-program-size)");
}

// Past 8 KiB a path is not matched against a host's regex paths at all (414); hosts without
// regex paths match any length.
TEST(RouteTableTest, LongPathsOnHostsWithRegexPathsAreNotMatched) {
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(Config());
  ASSERT_TRUE(table.ok()) << table.status();
  std::string at_limit = "/re/" + std::string(kMaxRegexMatchBytes - 4, '1');
  MatchResult fits = (*table)->Match("app.example.com", at_limit);
  EXPECT_FALSE(fits.path_too_long);
  ASSERT_NE(fits.PrimaryCluster(), nullptr);
  EXPECT_EQ(*fits.PrimaryCluster(), "regex");
  MatchResult over = (*table)->Match("app.example.com", at_limit + "1");
  EXPECT_TRUE(over.path_too_long);
  EXPECT_EQ(over.PrimaryCluster(), nullptr);
  MatchResult plain = (*table)->Match("x.example.com", at_limit + "1");
  EXPECT_FALSE(plain.path_too_long);
  ASSERT_NE(plain.PrimaryCluster(), nullptr);
  EXPECT_EQ(*plain.PrimaryCluster(), "wildcard");
}

// What a match could cost, weighed before it is made: the host's regex paths' instructions
// times the path's bytes; nothing for a host without regex paths or a path not matched (414).
TEST(RouteTableTest, AHostsRegexWorkIsItsInstructionsTimesThePath) {
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(Config());
  ASSERT_TRUE(table.ok()) << table.status();
  const VirtualHostEntry* regex_host = (*table)->FindHost("App.Example.COM:8443");
  ASSERT_NE(regex_host, nullptr);
  EXPECT_EQ(regex_host->name, (*table)->Match("app.example.com", "/").virtual_host->name);
  ASSERT_GT(regex_host->regex_instructions, 0u);
  EXPECT_EQ(regex_host->RegexWork(100), 100 * regex_host->regex_instructions);
  EXPECT_EQ(regex_host->RegexWork(kMaxRegexMatchBytes),
            kMaxRegexMatchBytes * regex_host->regex_instructions);
  EXPECT_EQ(regex_host->RegexWork(kMaxRegexMatchBytes + 1), 0u);
  const VirtualHostEntry* plain = (*table)->FindHost("x.example.com");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->RegexWork(kMaxRegexMatchBytes), 0u);
  // MatchIn is Match's second step.
  MatchResult split = RouteTable::MatchIn(regex_host, "/re/123");
  MatchResult whole = (*table)->Match("app.example.com", "/re/123");
  EXPECT_EQ(split.route, whole.route);
  EXPECT_EQ(RouteTable::MatchIn(nullptr, "/").virtual_host, nullptr);
}

}  // namespace
}  // namespace gatehouse::dataplane::router

namespace gatehouse::dataplane::router {
namespace {

TEST(RouteTableTest, EachRequestGetsItsRoutesFiltersElseItsHosts) {
  v1::RouteConfiguration config = Config();
  v1::VirtualHost* app = config.mutable_virtual_hosts(0);
  config.mutable_virtual_hosts(2)->add_filters()->mutable_forwarding_headers();
  app->mutable_routes(0)->add_filters()->mutable_request_body_limit()->set_max_bytes(1);
  app->mutable_routes(0)->add_filters()->mutable_forwarding_headers();
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(config);
  ASSERT_TRUE(table.ok()) << table.status();
  MatchResult exact = (*table)->Match("app.example.com", "/foo");
  ASSERT_NE(exact.filters, nullptr);
  EXPECT_EQ(exact.filters->size(), 2u);
  MatchResult root = (*table)->Match("app.example.com", "/other");
  ASSERT_NE(root.filters, nullptr);
  EXPECT_TRUE(root.filters->empty());
  // The host's own chain serves what none of its routes takes.
  MatchResult none = (*table)->Match("elsewhere.test", "/other");
  ASSERT_EQ(none.route, nullptr);
  ASSERT_NE(none.PrimaryCluster(), nullptr);
  EXPECT_EQ(*none.PrimaryCluster(), "fallback");
  ASSERT_NE(none.filters, nullptr);
  EXPECT_EQ(none.filters->size(), 1u);
}

TEST(RouteTableTest, BadFiltersAreNamedByRoute) {
  v1::RouteConfiguration config = Config();
  config.mutable_virtual_hosts(0)->mutable_routes(1)->add_filters()->mutable_request_body_limit();
  config.mutable_virtual_hosts(2)->add_filters();
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(config);
  ASSERT_FALSE(table.ok());
  EXPECT_NE(
      table.status().message().find("virtual_hosts[0] (app.example.com).routes[1].filters[0]"),
      std::string::npos)
      << table.status();
  EXPECT_NE(table.status().message().find("virtual_hosts[2] (*).filters[0]"), std::string::npos)
      << table.status();
}

TEST(RouteTableTest, RouteTimeoutsOverADayAreRefused) {
  v1::RouteConfiguration config = Config();
  config.mutable_virtual_hosts(0)->mutable_routes(0)->mutable_timeouts()->set_read_ms(
      24 * 3600 * 1000 + 1);
  absl::StatusOr<std::shared_ptr<const RouteTable>> table = RouteTable::Build(config);
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("routes[0].timeouts: 86400001 ms is more than"),
            std::string::npos)
      << table.status();
  config.mutable_virtual_hosts(0)->mutable_routes(0)->mutable_timeouts()->set_read_ms(24 * 3600 *
                                                                                      1000);
  EXPECT_TRUE(RouteTable::Build(config).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::router
