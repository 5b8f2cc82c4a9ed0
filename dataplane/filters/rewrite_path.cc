#include "dataplane/filters/rewrite_path.h"

#include <optional>
#include <string>

#include "common/path_regex.h"
#include "dataplane/filters/redirect.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> RewritePathFilter::Compile(
    const v1::RewritePath& config) {
  absl::StatusOr<PathRewrite> rewrite = PathRewrite::Compile(config.regex(), config.replacement());
  if (!rewrite.ok()) return rewrite.status();
  return std::make_shared<const ConfigFactory<RewritePathFilter, PathRewrite>>(*std::move(rewrite));
}

FilterStatus RewritePathFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  if (head.Path().size() > kMaxRegexMatchBytes) {
    callbacks().SendLocalReply(414, "the path is too long for this route's rewrite");
    return FilterStatus::kStop;
  }
  std::optional<std::string> rewritten = rewrite_.Apply(OriginForm(head.target));
  if (rewritten.has_value()) head.target = *std::move(rewritten);
  return FilterStatus::kContinue;
}

}  // namespace gatehouse::dataplane::filters
