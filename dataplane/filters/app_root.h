// ingress-nginx's app-root: a request for exactly "/" gets 302 to the application's root path
// on the request's own scheme and host (its query is dropped, as nginx's `return 302` drops it);
// every other request passes.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class AppRootFilter : public Filter {
 public:
  // The path must be absolute ("/app") and a valid header value.
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(const v1::AppRoot& config);

  explicit AppRootFilter(const std::string& path) : path_(path) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  const std::string& path_;
};

}  // namespace gatehouse::dataplane::filters
