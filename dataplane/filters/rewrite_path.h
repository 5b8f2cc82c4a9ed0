// ingress-nginx's rewrite-target: the path sent upstream is rewritten with the groups of the
// route's path regex (common/path_rewrite.h), "/something(/|$)(.*)" with "/$2" sending
// "/something/new?x=1" on as "/new?x=1". A path the regex does not match goes on unchanged. A
// path longer than kMaxRegexMatchBytes gets 414 rather than being matched.
//
// A path long enough that its match could cost more than kMaxLoopRegexWork is rewritten on the
// worker's blocking pool: the filter holds the request until it is done, and answers 503 when
// too much such work waits.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/path_rewrite.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class RewritePathFilter : public Filter {
 public:
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::RewritePath& config);

  explicit RewritePathFilter(const PathRewrite& rewrite) : rewrite_(rewrite) {}
  ~RewritePathFilter() override;

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  struct Job;
  void OnRewritten(const Job& job, bool ran);

  const PathRewrite& rewrite_;
  http::RequestHead* head_ = nullptr;  // the request's, while a job runs
  std::shared_ptr<Job> job_;           // the rewrite running off the loop, if any
};

}  // namespace gatehouse::dataplane::filters
