#include "controlplane/server/debouncer.h"

#include <algorithm>

namespace gatehouse::controlplane::server {

void Debouncer::OnChange(absl::Time now) {
  if (first_pending_ == absl::InfiniteFuture()) first_pending_ = now;
  last_change_ = now;
  dirty_ = true;
}

bool Debouncer::OnSynced(absl::Time now) {
  if (synced_) return false;
  synced_ = true;
  if (dirty_) OnChange(now);
  return true;
}

void Debouncer::OnRebuilt(absl::Time now) {
  last_rebuild_ = now;
  dirty_ = false;
  first_pending_ = last_change_ = absl::InfiniteFuture();
}

absl::Time Debouncer::Deadline() const {
  if (!synced_ || !dirty_) return absl::InfiniteFuture();
  if (first_pending_ - last_rebuild_ >= max_delay_) return first_pending_;
  return std::min(last_change_ + holdoff_, first_pending_ + max_delay_);
}

}  // namespace gatehouse::controlplane::server
