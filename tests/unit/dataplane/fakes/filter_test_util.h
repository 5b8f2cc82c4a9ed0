// Builds one filter from its typed config the way a route's chain does, for filter unit tests.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "dataplane/filters/filter_chain.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::fakes {

// One filter instance and the compiled config it reads, kept together as a route's chain
// keeps them.
struct TestFilter {
  std::shared_ptr<const filters::FilterFactory> factory;
  std::unique_ptr<filters::Filter> filter;
  filters::Filter* operator->() const { return filter.get(); }
};

// The filter `config` compiles to, wired to `callbacks`; fails the test if it does not compile.
inline TestFilter MakeFilter(const v1::Filter& config, filters::FilterCallbacks& callbacks) {
  absl::StatusOr<std::shared_ptr<const filters::FilterFactory>> factory =
      filters::CompileFilter(config);
  EXPECT_TRUE(factory.ok()) << factory.status();
  if (!factory.ok()) return {};
  TestFilter made{*factory, (*factory)->Create()};
  made.filter->set_callbacks(callbacks);
  return made;
}

// A request head as a codec delivers it.
inline http::RequestHead Request(absl::string_view method, absl::string_view authority,
                                 absl::string_view target) {
  http::RequestHead head;
  head.method = std::string(method);
  head.authority = std::string(authority);
  head.target = std::string(target);
  return head;
}

// An answer to a filter's side request: `status`, with `headers`.
inline filters::SideResponse SideAnswer(
    int status, std::vector<std::pair<const char*, const char*>> headers = {}) {
  filters::SideResponse answer;
  answer.ok = true;
  answer.status = status;
  for (const auto& [name, value] : headers) answer.headers.Add(name, value);
  return answer;
}

}  // namespace gatehouse::dataplane::fakes
