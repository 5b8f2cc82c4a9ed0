// Refuses request bodies over a route's limit with 413 (ingress-nginx's proxy-body-size): from
// the Content-Length before a byte goes upstream (and before any 100 Continue), or, for a body
// without one, as soon as the bytes received pass the limit. If the response has already started
// by then, the stream is reset instead. A switched-protocol tunnel's bytes are not a body.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::dataplane::filters {

class RequestBodyLimitFilter : public Filter {
 public:
  // The limit must be at least 1.
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::RequestBodyLimit& config);

  explicit RequestBodyLimitFilter(const uint64_t& max_bytes) : max_bytes_(max_bytes) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;
  FilterStatus OnRequestData(absl::string_view data, bool end_stream) override;
  void OnResponseHeaders(http::ResponseHead& head, bool end_stream) override;

 private:
  const uint64_t max_bytes_;
  uint64_t received_ = 0;
  bool tunnel_ = false;  // the upstream switched protocols (101)
};

}  // namespace gatehouse::dataplane::filters
