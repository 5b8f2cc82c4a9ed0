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

}  // namespace
}  // namespace gatehouse
