#include "controlplane/kube/yaml_json.h"

#include "gtest/gtest.h"

namespace gatehouse::controlplane::kube {
namespace {

TEST(PlainScalarAsJsonLiteralTest, CoreSchemaTable) {
  struct Case {
    const char* scalar;
    std::optional<std::string> literal;
  };
  const Case cases[] = {
      {"80", "80"},
      {"-7", "-7"},
      {"+7", "7"},
      {"007", "7"},
      {"0x1F", "31"},
      {"0o17", "15"},
      {"1.5", "1.5"},
      {".5", "0.5"},
      {"1.", "1.0"},
      {"1e3", "1e3"},
      {"-2.5E-3", "-2.5e-3"},
      {"true", "true"},
      {"False", "false"},
      {"null", "null"},
      {"~", "null"},
      {"", "null"},
      {".inf", "\"Infinity\""},
      {"-.inf", "\"-Infinity\""},
      {".nan", "\"NaN\""},
      {"yes", std::nullopt},
      {"web", std::nullopt},
      {"1.2.3", std::nullopt},
      {"0x", std::nullopt},
      {"10.0.0.1", std::nullopt},
      {"1e", std::nullopt},
      {"-", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PlainScalarAsJsonLiteral(c.scalar), c.literal) << "scalar: " << c.scalar;
  }
}

TEST(YamlDocumentsToJsonTest, PlainScalarsAreLiteralsQuotedOnesStrings) {
  auto docs = YamlDocumentsToJson("port: 80\nname: \"80\"\nready: true\nquoted: 'true'\nx: ~\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0], R"({"port":80,"name":"80","ready":true,"quoted":"true","x":null})");
}

TEST(YamlDocumentsToJsonTest, MultiDocumentWithEmptyOnes) {
  auto docs = YamlDocumentsToJson("a: [1, b]\n---\n---\nc: {d: \"e\\n\\\"\"}\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0], R"({"a":[1,"b"]})");
  EXPECT_EQ((*docs)[1], "null");
  EXPECT_EQ((*docs)[2], R"({"c":{"d":"e\n\""}})");
}

TEST(YamlDocumentsToJsonTest, SyntaxErrorHasPosition) {
  auto docs = YamlDocumentsToJson("a: 1\nb: [\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("line "), absl::string_view::npos) << docs.status();
}

TEST(YamlDocumentsToJsonTest, NonScalarKeyIsAnError) {
  auto docs = YamlDocumentsToJson("? [a, b]\n: c\n");
  EXPECT_FALSE(docs.ok());
}

// Found by fuzz_manifest (corpus crash-endless-documents): yaml-cpp 0.7 reports null documents
// forever for a stream that starts with ",", taking more memory each time. It is refused.
TEST(YamlDocumentsToJsonTest, AStreamThatNeverEndsIsRefused) {
  for (const char* yaml : {",\n", "a: 1\n---\n,\n", ",\n---\n,\n..."}) {
    auto docs = YamlDocumentsToJson(yaml);
    ASSERT_FALSE(docs.ok()) << yaml;
    EXPECT_EQ(docs.status().message(),
              "not YAML: the parser found more documents than the stream has markers");
  }
}

TEST(YamlDocumentsToJsonTest, AliasesThatExpandPastTheLimitAreRefused) {
  // Nine levels of nine aliases each: 387 million scalars once expanded.
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) yaml += (j > 0 ? ", " : "") + prev;
    yaml += "]\n";
  }
  auto docs = YamlDocumentsToJson(yaml);
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(),
            "a document is larger than 16 MiB once its aliases are expanded");
  // A few aliases are fine.
  docs = YamlDocumentsToJson("a: &x [1, 2]\nb: *x\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ((*docs)[0], R"({"a":[1,2],"b":[1,2]})");
}

}  // namespace
}  // namespace gatehouse::controlplane::kube
