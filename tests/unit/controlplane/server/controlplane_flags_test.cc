#include "controlplane/server/controlplane_flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane::server {
namespace {

using ::testing::HasSubstr;

absl::Status Parse(ControlPlaneFlags* out, std::vector<std::string> args) {
  FlagSet flags(std::string(kProgram), "test");
  RegisterControlPlaneFlags(flags, out);
  args.insert(args.begin(), "gatehouse-controlplane");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return flags.Parse(static_cast<int>(argv.size()), argv.data());
}

TEST(ControlPlaneFlagsTest, DefaultsAndValues) {
  ControlPlaneFlags flags;
  ASSERT_TRUE(Parse(&flags, {"--source=file:/etc/gh", "--xds-listen=127.0.0.1:0",
                             "--default-backend=ops/fallback:http", "--watch-namespace=shop",
                             "--publish-address=::1", "--log-level=debug"})
                  .ok());
  ASSERT_TRUE(flags.source.has_value());
  EXPECT_EQ(flags.source->kind, SourceSpec::Kind::kFile);
  EXPECT_EQ(flags.source->dir, "/etc/gh");
  EXPECT_EQ(flags.source_text, "file:/etc/gh");
  EXPECT_EQ(flags.xds_listen, (HostPort{"127.0.0.1", 0}));
  EXPECT_EQ(flags.admin_listen, (HostPort{"127.0.0.1", 19000}));
  EXPECT_EQ(flags.health_listen, (HostPort{"0.0.0.0", 19100}));
  EXPECT_EQ(flags.ingress_class, "gatehouse");
  EXPECT_EQ(flags.controller_name, "gatehouse.dev/ingress-controller");
  ASSERT_TRUE(flags.default_backend.has_value());
  EXPECT_EQ(flags.default_backend->port_name, "http");
  EXPECT_EQ(flags.watch_namespace, "shop");
  EXPECT_EQ(flags.publish_address, "::1");
  EXPECT_EQ(flags.host_ownership, translate::HostOwnership::kShared);
  ControlPlaneFlags owned;
  ASSERT_TRUE(Parse(&owned, {"--host-ownership=first-namespace",
                             "--xds-tls-secret=gatehouse-system/xds-tls",
                             "--xds-tls-server-names=xds.gatehouse-system.svc,xds",
                             "--auth-service-namespaces=auth, sso"})
                  .ok());
  EXPECT_EQ(owned.auth_service_namespaces, (std::vector<std::string>{"auth", "sso"}));
  EXPECT_TRUE(flags.auth_service_namespaces.empty());
  EXPECT_EQ(owned.host_ownership, translate::HostOwnership::kFirstNamespace);
  ASSERT_TRUE(owned.xds_tls_secret.has_value());
  EXPECT_EQ(owned.xds_tls_secret->ToString(), "gatehouse-system/xds-tls");
  EXPECT_EQ(owned.xds_tls_server_names,
            (std::vector<std::string>{"xds.gatehouse-system.svc", "xds"}));
}

TEST(ControlPlaneFlagsTest, BadValuesAreOneClearLine) {
  struct Case {
    std::string arg;
    std::string message;
  };
  const Case cases[] = {
      {"--source=etcd", "want kubernetes or file:DIR"},
      {"--source=file:", "file: needs a folder"},
      {"--xds-listen=nohost", "want HOST:PORT"},
      {"--default-backend=fallback", "want NAMESPACE/SERVICE:PORT"},
      {"--publish-address=1.2.3", "not an IPv4 or IPv6 address"},
      {"--publish-service=web", "want NAMESPACE/NAME"},
      {"--watch-namespace=Shop", "not a namespace name"},
      {"--log-level=loud", "unknown log level"},
      {"--ingress-class=", "must not be empty"},
      {"--nope=1", "unknown flag --nope"},
      {"--debounce=soon", "want a duration from 0 to 10s"},
      {"--debounce-max=-1s", "want a duration from 0 to 1m"},
      {"--hsts=max-age=1; ", "not a valid header value"},
      {"--hsts=max-age=1\r\nSet-Cookie: a=b", "not a valid header value"},
      {"--host-ownership=first", "want shared or first-namespace"},
      {"--xds-tls-secret=gatehouse-system", "want NAMESPACE/NAME"},
      {"--xds-tls-server-names=xds.svc,-bad-", "\"-bad-\" is not a DNS name"},
      {"--auth-service-namespaces=auth,Bad", "\"Bad\" is not a namespace name"},
      {"--auth-service-namespaces=", "\"\" is not a namespace name"},
  };
  for (const Case& c : cases) {
    ControlPlaneFlags flags;
    absl::Status status = Parse(&flags, {c.arg});
    ASSERT_FALSE(status.ok()) << c.arg;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.arg;
    EXPECT_EQ(std::string(status.message()).find('\n'), std::string::npos);
  }
}

TEST(ControlPlaneFlagsTest, DebounceDurations) {
  ControlPlaneFlags defaults;
  ASSERT_TRUE(Parse(&defaults, {"--source=file:/x"}).ok());
  EXPECT_EQ(defaults.debounce, absl::Milliseconds(50));
  EXPECT_EQ(defaults.debounce_max, absl::Milliseconds(500));
  ControlPlaneFlags set;
  ASSERT_TRUE(Parse(&set, {"--source=file:/x", "--debounce=5ms", "--debounce-max=2s"}).ok());
  EXPECT_EQ(set.debounce, absl::Milliseconds(5));
  EXPECT_EQ(set.debounce_max, absl::Seconds(2));
}

TEST(ControlPlaneFlagsTest, KubernetesSourceParses) {
  absl::StatusOr<SourceSpec> spec = ParseSourceSpec("kubernetes");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, SourceSpec::Kind::kKubernetes);
}

}  // namespace
}  // namespace gatehouse::controlplane::server
