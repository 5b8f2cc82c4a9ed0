#include "controlplane/kube/kube_client.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane::kube {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Split(const std::vector<std::string>& chunks) {
  JsonValueSplitter splitter;
  std::vector<std::string> values;
  for (const std::string& chunk : chunks) {
    splitter.Feed(chunk, [&](absl::string_view value) { values.emplace_back(value); });
  }
  return values;
}

TEST(JsonValueSplitterTest, ValuesAreWholeWhereverTheChunksSplit) {
  const std::string stream =
      "{\"type\":\"ADDED\",\"object\":{\"a\":\"}{\\\"\"}}\n"
      "{\"type\":\"BOOKMARK\",\"object\":{\"l\":[1,{\"x\":\"]\"}]}}{\"type\":\"DELETED\"}\n";
  const std::vector<std::string> want = {
      "{\"type\":\"ADDED\",\"object\":{\"a\":\"}{\\\"\"}}",
      "{\"type\":\"BOOKMARK\",\"object\":{\"l\":[1,{\"x\":\"]\"}]}}",
      "{\"type\":\"DELETED\"}"};
  EXPECT_EQ(Split({stream}), want);
  for (size_t cut = 1; cut < stream.size(); ++cut) {  // every two-chunk split
    EXPECT_EQ(Split({stream.substr(0, cut), stream.substr(cut)}), want) << cut;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  EXPECT_EQ(Split(bytes), want);
}

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Each test its own folder: tests of this binary may run at the same time.
    char tmpl[] = "/tmp/kubeconfig_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& text) {
    std::string path = (dir_ / "config").string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(KubeconfigTest, CurrentContextWithRelativeFilesAndInlineData) {
  std::string path = Write(R"(apiVersion: v1
kind: Config
current-context: b
contexts:
- {name: a, context: {cluster: one, user: alice}}
- {name: b, context: {cluster: two, user: bob, namespace: apps}}
clusters:
- {name: one, cluster: {server: "https://one.example:6443"}}
- name: two
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: certs/ca.crt
users:
- {name: alice, user: {token: nope}}
- name: bob
  user:
    tokenFile: /run/token
    client-certificate-data: Y2VydA==
    client-key: key.pem
)");
  absl::StatusOr<KubeConnection> connection = LoadKubeconfig(path);
  ASSERT_TRUE(connection.ok()) << connection.status();
  EXPECT_EQ(connection->server, "https://127.0.0.1:6443");
  EXPECT_EQ(connection->ca_file, (dir_ / "certs/ca.crt").string());
  EXPECT_EQ(connection->token_file, "/run/token");
  EXPECT_EQ(connection->token, "");
  EXPECT_EQ(connection->client_certificate_data, "cert");
  EXPECT_EQ(connection->client_key_file, (dir_ / "key.pem").string());
}

TEST_F(KubeconfigTest, ProblemsAreNamed) {
  EXPECT_THAT(std::string(LoadKubeconfig((dir_ / "missing").string()).status().message()),
              HasSubstr("cannot read"));
  EXPECT_THAT(std::string(LoadKubeconfig(Write("clusters: []\n")).status().message()),
              HasSubstr("no current-context"));
  EXPECT_THAT(std::string(LoadKubeconfig(Write("current-context: x\n")).status().message()),
              HasSubstr("context \"x\" is not defined"));
  EXPECT_THAT(
      std::string(LoadKubeconfig(Write("current-context: x\ncontexts: [{name: x, context: "
                                       "{cluster: c}}]\n"))
                      .status()
                      .message()),
      HasSubstr("cluster \"c\" is not defined"));
}

}  // namespace
}  // namespace gatehouse::controlplane::kube
