// One request's retries under its route's RetryPolicy (ingress-nginx's proxy-next-upstream):
// whether a failed attempt may go to another endpoint, and the copy of the request body that
// lets a request already sent be sent again.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/backend_limits.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::dataplane::proxy {

// A request whose body is larger is not sent again once it has gone upstream.
inline constexpr size_t kMaxReplayBody = 64 << 10;

class RetryState {
 public:
  enum class Failure { kError, kTimeout, kStatus };

  // `policy`: the route's, or null for the default (no replay; the proxy stream's own retries).
  void Start(const v1::RetryPolicy* policy, absl::Time now);
  bool has_policy() const { return policy_ != nullptr; }

  // A new attempt begins (the first included).
  void OnAttempt() { ++attempts_; }

  // Request body bytes as they go upstream the first time.
  void CaptureBody(absl::string_view data);
  // The request had trailers: it is never sent again once it has gone upstream.
  void OnTrailers() { replayable_ = false; }
  const std::string& body() const { return body_; }

  // Whether an attempt that failed so may be made again elsewhere. `status` is the response's
  // (kStatus); `sent`: some of the request went upstream; `complete`: the client's request has
  // all arrived; `method`: the request's.
  bool Allows(Failure failure, int status, bool sent, bool complete, absl::string_view method,
              absl::Time now) const;

 private:
  const v1::RetryPolicy* policy_ = nullptr;
  absl::Time first_;
  uint32_t attempts_ = 0;
  std::string body_;
  bool replayable_ = true;
};

// RFC 9110 section 9.2.2: sending these twice has the effect of sending them once.
bool IdempotentMethod(absl::string_view method);

}  // namespace gatehouse::dataplane::proxy
