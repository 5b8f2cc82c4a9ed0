// ingress-nginx's rewrite-target: the path sent upstream is rewritten with the groups of the
// route's path regex (common/path_rewrite.h), "/something(/|$)(.*)" with "/$2" sending
// "/something/new?x=1" on as "/new?x=1". A path the regex does not match goes on unchanged. A
// path longer than kMaxRegexMatchBytes gets 414 rather than being matched.
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

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  const PathRewrite& rewrite_;
};

}  // namespace gatehouse::dataplane::filters
