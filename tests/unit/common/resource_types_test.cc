#include "common/resource_types.h"

#include "gatehouse/v1/config.pb.h"
#include "gtest/gtest.h"

namespace gatehouse {
namespace {

TEST(RedactedForDisplayTest, PrivateKeysNeverShowAndTheRestIsKept) {
  v1::Listener listener;
  listener.set_name("https");
  v1::TlsCertificate* certificate = listener.add_certificates();
  certificate->set_name("default/site");
  certificate->set_certificate_chain("-----BEGIN CERTIFICATE-----...");
  certificate->set_private_key("-----BEGIN PRIVATE KEY-----secret");
  google::protobuf::Any packed;
  packed.PackFrom(listener);

  v1::Listener shown;
  ASSERT_TRUE(RedactedForDisplay(packed).UnpackTo(&shown));
  EXPECT_EQ(shown.certificates(0).private_key(), "(private key redacted)");
  EXPECT_EQ(shown.certificates(0).certificate_chain(), "-----BEGIN CERTIFICATE-----...");
  EXPECT_EQ(RedactedForDisplay(packed).value().find("secret"), std::string::npos);

  v1::Cluster cluster;
  cluster.set_name("default/web:80");
  packed.PackFrom(cluster);
  EXPECT_EQ(RedactedForDisplay(packed).SerializeAsString(), packed.SerializeAsString());
}

TEST(RedactedForDisplayTest, PasswordHashesNeverShow) {
  v1::RouteConfiguration routes;
  v1::VirtualHost* host = routes.add_virtual_hosts();
  host->set_name("a.test");
  v1::BasicAuth* auth = host->add_routes()->add_filters()->mutable_basic_auth();
  auth->set_realm("staff");
  v1::BasicAuth::User* user = auth->add_users();
  user->set_name("alice");
  user->set_hash("$apr1$Xy9sQ3ab$staTRWA/PZZOAPU1NcraH.");
  google::protobuf::Any packed;
  packed.PackFrom(routes);
  v1::RouteConfiguration shown;
  ASSERT_TRUE(RedactedForDisplay(packed).UnpackTo(&shown));
  const v1::BasicAuth& shown_auth = shown.virtual_hosts(0).routes(0).filters(0).basic_auth();
  EXPECT_EQ(shown_auth.users(0).name(), "alice");
  EXPECT_EQ(shown_auth.users(0).hash(), "(hash redacted)");
  EXPECT_EQ(shown_auth.realm(), "staff");
  EXPECT_EQ(RedactedForDisplay(packed).value().find("staTRWA"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse
