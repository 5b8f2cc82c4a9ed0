#include "dataplane/filters/app_root.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/location_template.h"
#include "common/log.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> AppRootFilter::Compile(
    const v1::AppRoot& config) {
  if (!IsAbsolutePathValue(config.path())) {
    return absl::InvalidArgumentError(
        absl::StrCat("app root ", QuoteForMessage(config.path()), " is not an absolute path"));
  }
  return std::make_shared<const ConfigFactory<AppRootFilter, std::string>>(config.path());
}

FilterStatus AppRootFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  if (head.Path() != "/") return FilterStatus::kContinue;
  http::HeaderMap headers;
  headers.Add("Location",
              absl::StrCat(callbacks().downstream().scheme, "://", head.authority, path_));
  callbacks().SendLocalReply(302, "redirected to the application root", std::move(headers));
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
