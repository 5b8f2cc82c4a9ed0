// The request header modifier and the edits both modifiers share. Reference: Gateway API's
// HTTPHeaderFilter (set replaces every header of the name, add appends, remove deletes; names
// case-insensitive), used here also for ingress-nginx's x-forwarded-prefix and our
// gatehouse.dev/request-headers.
#include "dataplane/filters/request_header_modifier.h"

#include "common/http_syntax.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;

v1::Filter Config(std::vector<std::pair<std::string, std::string>> set,
                  std::vector<std::pair<std::string, std::string>> add,
                  std::vector<std::string> remove) {
  v1::Filter config;
  v1::HeaderModifier& modifier = *config.mutable_request_header_modifier();
  for (auto& [name, value] : set) {
    v1::Header& header = *modifier.add_set();
    header.set_name(name);
    header.set_value(value);
  }
  for (auto& [name, value] : add) {
    v1::Header& header = *modifier.add_add();
    header.set_name(name);
    header.set_value(value);
  }
  for (auto& name : remove) modifier.add_remove(name);
  return config;
}

std::string Render(const http::HeaderMap& headers) {
  std::string out;
  for (const auto& [name, value] : headers.entries()) out += name + "=" + value + ";";
  return out;
}

TEST(RequestHeaderModifierFilterTest, RemoveThenSetThenAdd) {
  FakeFilterCallbacks callbacks;
  auto filter = MakeFilter(Config({{"X-Forwarded-Prefix", "/api"}, {"x-env", "prod"}},
                                  {{"X-Tag", "b"}}, {"x-debug", "X-Env"}),
                           callbacks);
  http::RequestHead head = Request("GET", "a.test", "/");
  head.headers.Add("X-Env", "dev");
  head.headers.Add("X-Debug", "1");
  head.headers.Add("x-forwarded-prefix", "/spoofed");
  head.headers.Add("X-Tag", "a");
  EXPECT_EQ(filter->OnRequestHeaders(head, true), FilterStatus::kContinue);
  EXPECT_EQ(Render(head.headers), "X-Tag=a;X-Forwarded-Prefix=/api;x-env=prod;X-Tag=b;");
}

TEST(RequestHeaderModifierFilterTest, WhatCouldBreakTheMessageIsRefusedAtCompile) {
  EXPECT_FALSE(CompileFilter(Config({{"Host", "x"}}, {}, {})).ok());
  EXPECT_FALSE(CompileFilter(Config({}, {{"Content-Length", "0"}}, {})).ok());
  EXPECT_FALSE(CompileFilter(Config({}, {}, {"Transfer-Encoding"})).ok());
  EXPECT_FALSE(CompileFilter(Config({{"X-A", "1\r\nX-B: 2"}}, {}, {})).ok());
  EXPECT_FALSE(CompileFilter(Config({{"X A", "1"}}, {}, {})).ok());
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i <= kMaxHeaderEdits; ++i) many.emplace_back("X-" + std::to_string(i), "v");
  EXPECT_FALSE(CompileFilter(Config(many, {}, {})).ok());
  many.pop_back();
  EXPECT_TRUE(CompileFilter(Config(many, {}, {})).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
