#include "controlplane/source/manifest_parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane::source {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Keys(const ParsedManifests& parsed) {
  std::vector<std::string> keys;
  for (const KubeObject& object : parsed.objects) keys.push_back(KeyOf(object).ToString());
  return keys;
}

TEST(ManifestParserTest, ReadsEveryKindAndSkipsOthers) {
  ParsedManifests parsed = ParseManifests(R"(
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatehouse, namespace: ignored}
spec: {controller: gatehouse.dev/ingress-controller}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.0.0.1], conditions: {ready: false}}]
---
apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
data: {tls.crt: aGVsbG8=}
)",
                                          "x.yaml", {});
  EXPECT_TRUE(parsed.errors.empty()) << parsed.errors[0].DebugString();
  EXPECT_THAT(Keys(parsed), ElementsAre("IngressClass gatehouse", "Service shop/web",
                                        "EndpointSlice default/web-1", "Secret default/tls"));
  const auto& service = std::get<kube::Service>(parsed.objects[1]);
  EXPECT_EQ(service.spec().ports(0).port(), 80);
  EXPECT_EQ(service.spec().ports(0).target_port().number_value(), 8080);
  const auto& slice = std::get<kube::EndpointSlice>(parsed.objects[2]);
  EXPECT_TRUE(slice.endpoints(0).conditions().has_ready());
  EXPECT_FALSE(slice.endpoints(0).conditions().has_serving());
  EXPECT_EQ(std::get<kube::Secret>(parsed.objects[3]).data().at("tls.crt"), "hello");
}

TEST(ManifestParserTest, ReadsListItems) {
  ParsedManifests parsed = ParseManifests(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
- apiVersion: v1
  kind: Service
  metadata: {name: b, namespace: other}
)",
                                          "list.yaml", {});
  EXPECT_TRUE(parsed.errors.empty());
  EXPECT_THAT(Keys(parsed), ElementsAre("Service default/a", "Service other/b"));
}

TEST(ManifestParserTest, BadObjectIsReportedAndNeighboursKept) {
  ParsedManifests parsed = ParseManifests(R"(
apiVersion: v1
kind: Service
metadata: {name: good-1}
---
apiVersion: v1
kind: Service
metadata: {name: broken}
spec: {ports: [{port: "eighty"}]}
---
apiVersion: v1
metadata: {name: nokind}
---
apiVersion: v1
kind: Service
spec: {}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old}
---
apiVersion: v1
kind: Service
metadata: {name: good-2}
)",
                                          "deploy/x.yaml", {});
  EXPECT_FALSE(parsed.syntax_error);
  EXPECT_THAT(Keys(parsed), ElementsAre("Service default/good-1", "Service default/good-2"));
  ASSERT_EQ(parsed.errors.size(), 4u);
  EXPECT_EQ(parsed.errors[0].file(), "deploy/x.yaml");
  EXPECT_EQ(parsed.errors[0].object(), "Service default/broken");
  EXPECT_FALSE(parsed.errors[0].message().empty());
  EXPECT_EQ(parsed.errors[1].object(), "document 3");
  EXPECT_EQ(parsed.errors[1].message(), "missing kind");
  EXPECT_EQ(parsed.errors[2].object(), "document 4");
  EXPECT_THAT(parsed.errors[2].message(), HasSubstr("without metadata.name"));
  EXPECT_EQ(parsed.errors[3].object(), "Ingress default/old");
  EXPECT_THAT(parsed.errors[3].message(), HasSubstr("networking.k8s.io/v1"));
}

TEST(ManifestParserTest, EndpointAddressesMustBeIpsOfTheSliceFamily) {
  ParsedManifests parsed = ParseManifests(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: v4, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1]}, {addresses: [10.0.0.2, "web.example.com"]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: v6, labels: {kubernetes.io/service-name: web}}
addressType: IPv6
endpoints: [{addresses: ["fd00::1"]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: v6-with-v4, labels: {kubernetes.io/service-name: web}}
addressType: IPv6
endpoints: [{addresses: [10.0.0.3]}]
)",
                                          "slices.yaml", {});
  EXPECT_THAT(Keys(parsed), ElementsAre("EndpointSlice default/v6"));
  ASSERT_EQ(parsed.errors.size(), 2u);
  EXPECT_EQ(parsed.errors[0].object(), "EndpointSlice default/v4");
  EXPECT_EQ(parsed.errors[0].message(),
            "endpoints[1].addresses[1]: \"web.example.com\" is not an IPv4 address");
  EXPECT_EQ(parsed.errors[1].message(),
            "endpoints[0].addresses[0]: \"10.0.0.3\" is not an IPv6 address");
}

TEST(ManifestParserTest, QuotedTargetPortStaysAString) {
  ParsedManifests parsed = ParseManifests(
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: \"80\", "
      "targetPort: \"http\"}]}\n",
      "q.yaml", {});
  // Protobuf's JSON parser accepts a quoted integer for an int32 field; the point here is that
  // targetPort stays the string "http" (a named port) rather than becoming something else.
  ASSERT_EQ(parsed.objects.size(), 1u);
  const auto& service = std::get<kube::Service>(parsed.objects[0]);
  EXPECT_EQ(service.spec().ports(0).target_port().string_value(), "http");
}

// The API server writes stringData into data (its entries win over data's), and never returns
// stringData; a folder's Secret reads the same.
TEST(ManifestParserTest, SecretStringDataIsWrittenIntoData) {
  ParsedManifests parsed = ParseManifests(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: YmFzZTY0, b: b2xk}\n"
      "stringData: {b: new, auth: \"alice:$apr1$x\"}\n",
      "s.yaml", {});
  ASSERT_EQ(parsed.objects.size(), 1u);
  const auto& secret = std::get<kube::Secret>(parsed.objects[0]);
  EXPECT_EQ(secret.data().at("a"), "base64");
  EXPECT_EQ(secret.data().at("b"), "new");
  EXPECT_EQ(secret.data().at("auth"), "alice:$apr1$x");
  EXPECT_TRUE(secret.string_data().empty());
}

TEST(ManifestParserTest, SyntaxErrorFailsTheWholeFile) {
  ParsedManifests parsed =
      ParseManifests("apiVersion: v1\nkind: Service\nmetadata: {name: [\n", "bad.yaml", {});
  EXPECT_TRUE(parsed.syntax_error);
  EXPECT_TRUE(parsed.objects.empty());
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].file(), "bad.yaml");
  EXPECT_THAT(parsed.errors[0].message(), HasSubstr("not valid YAML"));
}

TEST(ManifestParserTest, WatchNamespaceFiltersNamespacedObjectsOnly) {
  ParsedManifests parsed = ParseManifests(R"(
apiVersion: v1
kind: Service
metadata: {name: a, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: b}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatehouse}
)",
                                          "ns.yaml", ManifestOptions{"shop"});
  EXPECT_THAT(Keys(parsed), ElementsAre("Service shop/a", "IngressClass gatehouse"));
}

}  // namespace
}  // namespace gatehouse::controlplane::source
