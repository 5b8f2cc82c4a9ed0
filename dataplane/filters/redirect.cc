#include "dataplane/filters/redirect.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::dataplane::filters {

absl::string_view OriginForm(absl::string_view target) {
  if (absl::StartsWith(target, "/") || target == "*") return target;
  size_t scheme_end = target.find("://");
  if (scheme_end == absl::string_view::npos) return target;
  size_t path = target.find('/', scheme_end + 3);
  size_t query = target.find('?', scheme_end + 3);
  if (path == absl::string_view::npos || (query != absl::string_view::npos && query < path)) {
    return query == absl::string_view::npos ? "/" : target.substr(query);
  }
  return target.substr(path);
}

absl::string_view HostWithoutPort(absl::string_view authority) {
  if (size_t colon = authority.rfind(':');
      colon != absl::string_view::npos && authority.find(']', colon) == absl::string_view::npos) {
    return authority.substr(0, colon);
  }
  return authority;
}

absl::StatusOr<std::shared_ptr<const FilterFactory>> RedirectFilter::Compile(
    const v1::Redirect& config) {
  if (config.code() < 300 || config.code() > 308) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect code ", config.code(), " is not from 300 to 308"));
  }
  absl::StatusOr<LocationTemplate> location = LocationTemplate::Parse(config.location());
  if (!location.ok()) return location.status();
  return std::make_shared<const ConfigFactory<RedirectFilter, Config>>(
      Config{*std::move(location), static_cast<int>(config.code())});
}

FilterStatus RedirectFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  http::HeaderMap headers;
  headers.Add("Location",
              config_.location.Expand(OriginForm(head.target),
                                      absl::AsciiStrToLower(HostWithoutPort(head.authority)),
                                      callbacks().downstream().scheme));
  callbacks().SendLocalReply(config_.code, "redirected", std::move(headers));
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
