#include "dataplane/proxy/upstream_timers.h"

namespace gatehouse::dataplane::proxy {

void UpstreamTimers::Start(Kind kind, uint64_t timeout_ms) {
  std::unique_ptr<event::Timer>& timer = timers_[static_cast<int>(kind)];
  if (timer == nullptr) {
    timer = std::make_unique<event::Timer>(dispatcher_, [this, kind] { expired_(kind); });
  }
  timer->Start(timeout_ms);
}

void UpstreamTimers::Stop(Kind kind) {
  if (const std::unique_ptr<event::Timer>& timer = timers_[static_cast<int>(kind)]) timer->Stop();
}

void UpstreamTimers::StopAll() {
  for (const std::unique_ptr<event::Timer>& timer : timers_) {
    if (timer != nullptr) timer->Stop();
  }
}

}  // namespace gatehouse::dataplane::proxy
