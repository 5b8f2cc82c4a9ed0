// A route's filters compiled from its config: made once per config version, off the request
// path, and shared read-only by every worker. Each request gets fresh instances from it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "dataplane/filters/filter.h"
#include "gatehouse/v1/filters.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace gatehouse::dataplane::filters {

// One filter's compiled config; makes the filter's per-request instances.
class FilterFactory {
 public:
  virtual ~FilterFactory() = default;
  virtual std::unique_ptr<Filter> Create() const = 0;
};

// The factory of a filter F whose instances read one immutable config C, kept by the factory
// (F's constructor takes `const C&`; the request holds the config version, so it outlives them).
template <typename F, typename C>
class ConfigFactory : public FilterFactory {
 public:
  explicit ConfigFactory(C config) : config_(std::move(config)) {}
  std::unique_ptr<Filter> Create() const override { return std::make_unique<F>(config_); }

 private:
  const C config_;
};

// The factory of a filter F that needs no config.
template <typename F>
class PlainFactory : public FilterFactory {
 public:
  std::unique_ptr<Filter> Create() const override { return std::make_unique<F>(); }
};

// One request's filter instances, in chain order; most chains are short.
using FilterList = absl::InlinedVector<std::unique_ptr<Filter>, 4>;

// How one filter config compiles: CompileFilter, or in tests one that adds filters of its own.
using FilterCompiler =
    absl::FunctionRef<absl::StatusOr<std::shared_ptr<const FilterFactory>>(const v1::Filter&)>;

// The factory of one filter config, or why it is not valid.
absl::StatusOr<std::shared_ptr<const FilterFactory>> CompileFilter(const v1::Filter& filter);

class FilterChain {
 public:
  FilterChain() = default;

  // Compiles `filters`; the error names every filter that cannot be, by its index.
  static absl::StatusOr<FilterChain> Compile(
      const google::protobuf::RepeatedPtrField<v1::Filter>& filters,
      FilterCompiler compile = CompileFilter);

  bool empty() const { return factories_.empty(); }
  size_t size() const { return factories_.size(); }
  // Appends one request's instances to `out`, which must be empty.
  void CreateFilters(FilterList& out) const;

 private:
  std::vector<std::shared_ptr<const FilterFactory>> factories_;
};

}  // namespace gatehouse::dataplane::filters
