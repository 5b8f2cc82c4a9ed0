#include "dataplane/filters/https_redirect.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dataplane/filters/redirect.h"

namespace gatehouse::dataplane::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> HttpsRedirectFilter::Compile(
    const v1::HttpsRedirect& config) {
  return std::make_shared<const PlainFactory<HttpsRedirectFilter>>();
}

FilterStatus HttpsRedirectFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  if (callbacks().downstream().scheme == "https" ||
      absl::StartsWith(head.Path(), "/.well-known/acme-challenge/")) {
    return FilterStatus::kContinue;
  }
  http::HeaderMap headers;
  headers.Add("Location", absl::StrCat("https://", HostWithoutPort(head.authority), head.target));
  callbacks().SendLocalReply(308, "this host is served over HTTPS", std::move(headers));
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
