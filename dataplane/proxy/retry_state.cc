#include "dataplane/proxy/retry_state.h"

#include <algorithm>

namespace gatehouse::dataplane::proxy {

bool IdempotentMethod(absl::string_view method) {
  for (absl::string_view safe : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    if (method == safe) return true;
  }
  return false;
}

void RetryState::Start(const v1::RetryPolicy* policy, absl::Time now) {
  policy_ = policy;
  first_ = now;
}

void RetryState::CaptureBody(absl::string_view data) {
  if (policy_ == nullptr || !replayable_) return;
  if (body_.size() + data.size() > kMaxReplayBody) {
    replayable_ = false;
    std::string().swap(body_);
    return;
  }
  body_.append(data.data(), data.size());
}

bool RetryState::Allows(Failure failure, int status, bool sent, bool complete,
                        absl::string_view method, absl::Time now) const {
  if (policy_ == nullptr) return false;
  switch (failure) {
    case Failure::kError:
      if (!policy_->on_error()) return false;
      break;
    case Failure::kTimeout:
      if (!policy_->on_timeout()) return false;
      break;
    case Failure::kStatus:
      if (std::find(policy_->statuses().begin(), policy_->statuses().end(),
                    static_cast<uint32_t>(status)) == policy_->statuses().end()) {
        return false;
      }
      break;
  }
  uint32_t tries =
      policy_->tries() == 0 ? kMaxRetryTries : std::min(policy_->tries(), kMaxRetryTries);
  if (attempts_ >= tries) return false;
  if (policy_->timeout_ms() > 0 && now - first_ >= absl::Milliseconds(policy_->timeout_ms())) {
    return false;
  }
  if (!sent) return true;
  return complete && replayable_ && (policy_->non_idempotent() || IdempotentMethod(method));
}

}  // namespace gatehouse::dataplane::proxy
