#include "tools/gatehousectl/status_text.h"

#include "gatehouse/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::gatehousectl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FormatDurationTest, Table) {
  struct Case {
    int64_t seconds;
    const char* want;
  };
  for (const Case& c : {Case{-5, "0s"}, Case{0, "0s"}, Case{59, "59s"}, Case{60, "1m0s"},
                        Case{3661, "1h1m1s"}, Case{90061, "1d1h1m1s"}, Case{86400, "1d0h0m0s"}}) {
    EXPECT_EQ(FormatDuration(c.seconds), c.want) << c.seconds;
  }
}

TEST(ShortTypeNameTest, StripsPrefixAndPackage) {
  EXPECT_EQ(ShortTypeName("type.googleapis.com/gatehouse.v1.ClusterLoadAssignment"),
            "ClusterLoadAssignment");
  EXPECT_EQ(ShortTypeName("Plain"), "Plain");
}

TEST(FormatStatusTest, ControlPlaneWithReportsAndErrors) {
  gatehouse::v1::GetStatusResponse status;
  status.set_component("controlplane");
  status.set_node_id("cp-1");
  status.set_build_version("0.1.0");
  status.set_uptime_seconds(125);
  status.set_ready(true);
  status.set_config_source("file:deploy/examples");
  auto* version = status.add_versions();
  version->set_type_url("type.googleapis.com/gatehouse.v1.Cluster");
  version->set_version("abc123");
  auto* ingress = status.add_ingresses();
  ingress->set_namespace_("default");
  ingress->set_name("web");
  ingress->set_state(gatehouse::v1::IngressReport::PARTLY_ACCEPTED);
  ingress->add_reasons("rule 2: service \"missing\" not found");
  auto* error = status.add_source_errors();
  error->set_file("broken.yaml");
  error->set_object("document 2");
  error->set_message("bad indentation");

  const std::string text = FormatStatus(status);
  EXPECT_THAT(text, HasSubstr("component:      controlplane\n"));
  EXPECT_THAT(text, HasSubstr("node:           cp-1\n"));
  EXPECT_THAT(text, HasSubstr("uptime:         2m5s\n"));
  EXPECT_THAT(text, HasSubstr("ready:          yes\n"));
  EXPECT_THAT(text, HasSubstr("config source:  file:deploy/examples\n"));
  EXPECT_THAT(text, HasSubstr("  Cluster"));
  EXPECT_THAT(text, HasSubstr("abc123"));
  EXPECT_THAT(text, HasSubstr("  default/web: partly accepted\n"));
  EXPECT_THAT(text, HasSubstr("    - rule 2: service \"missing\" not found\n"));
  EXPECT_THAT(text, HasSubstr("  broken.yaml (document 2): bad indentation\n"));
  EXPECT_THAT(text, HasSubstr("last error:     (none)\n"));
}

TEST(FormatStatusTest, DataPlaneWithoutConfig) {
  gatehouse::v1::GetStatusResponse status;
  status.set_component("dataplane");
  status.set_last_error("version 7 rejected: route names unknown cluster");
  const std::string text = FormatStatus(status);
  EXPECT_THAT(text, HasSubstr("ready:          no\n"));
  EXPECT_THAT(text, HasSubstr("versions:       (none)\n"));
  EXPECT_THAT(text, Not(HasSubstr("ingresses:")));
  EXPECT_THAT(text, Not(HasSubstr("source errors:")));
  EXPECT_THAT(text, HasSubstr("last error:     version 7 rejected: route names unknown cluster\n"));
}

TEST(FormatConfigDumpTest, ExpandsAnyResources) {
  gatehouse::v1::Cluster cluster;
  cluster.set_name("default/app:80");
  cluster.set_connect_timeout_ms(250);
  gatehouse::v1::GetConfigDumpResponse dump;
  auto* set = dump.add_sets();
  set->set_type_url("type.googleapis.com/gatehouse.v1.Cluster");
  set->set_version("v1");
  set->add_resources()->PackFrom(cluster);

  absl::StatusOr<std::string> json = FormatConfigDump(dump);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"@type\": \"type.googleapis.com/gatehouse.v1.Cluster\""));
  EXPECT_THAT(*json, HasSubstr("\"name\": \"default/app:80\""));
  EXPECT_THAT(*json, HasSubstr("\"connect_timeout_ms\": 250"));
}

TEST(FormatConfigDumpTest, UnknownAnyTypeFails) {
  gatehouse::v1::GetConfigDumpResponse dump;
  auto* any = dump.add_sets()->add_resources();
  any->set_type_url("type.googleapis.com/nowhere.Unknown");
  any->set_value("x");
  EXPECT_FALSE(FormatConfigDump(dump).ok());
}

}  // namespace
}  // namespace gatehouse::gatehousectl

namespace gatehouse::gatehousectl {
namespace {

TEST(FormatProxyStatusTest, OneRowPerDataPlaneAndEveryRefusal) {
  gatehouse::v1::GetProxyStatusResponse status;
  auto add_proxy = [&status](const std::string& node, const std::string& acked_routes) {
    gatehouse::v1::ProxyStatus* proxy = status.add_proxies();
    proxy->set_node_id(node);
    proxy->set_address("ipv4:127.0.0.1:4000");
    proxy->set_connected_seconds(125);
    for (const char* type : {"type.googleapis.com/gatehouse.v1.Cluster",
                             "type.googleapis.com/gatehouse.v1.RouteConfiguration"}) {
      gatehouse::v1::ProxyTypeStatus* t = proxy->add_types();
      t->set_type_url(type);
      t->set_latest_version("v2");
      t->set_sent_version("v2");
      t->set_acked_version(std::string(type).find("Route") != std::string::npos ? acked_routes
                                                                                : "v2");
    }
    return proxy;
  };
  add_proxy("dp-1", "v2");
  gatehouse::v1::ProxyStatus* refusing = add_proxy("dp-2", "v1");
  refusing->mutable_types(1)->set_nacked_version("v2");
  refusing->mutable_types(1)->set_nack_message("bad regex");
  std::string text = FormatProxyStatus(status);
  EXPECT_EQ(text,
            "NODE ADDRESS             CONNECTED CLUSTER ROUTECONFIGURATION\n"
            "dp-1 ipv4:127.0.0.1:4000 2m5s      SYNCED  SYNCED\n"
            "dp-2 ipv4:127.0.0.1:4000 2m5s      SYNCED  NACKED\n"
            "dp-2 refused RouteConfiguration version v2: bad regex\n");
  EXPECT_EQ(FormatProxyStatus(gatehouse::v1::GetProxyStatusResponse()),
            "no data plane is connected\n");
}

}  // namespace
}  // namespace gatehouse::gatehousectl
