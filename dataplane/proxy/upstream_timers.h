// The deadlines of one request's upstream exchange that run on timers of their own: the connect
// (its length is the route's, the cluster's or the data plane's), and the gaps a route may bound
// (RouteTimeouts): between two reads of the response, and between two writes of the request
// while the upstream takes none. Each timer is made the first time it is started, so a request
// pays only for the deadlines it uses.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "dataplane/event/dispatcher.h"
#include "dataplane/event/timer.h"

namespace gatehouse::dataplane::proxy {

class UpstreamTimers {
 public:
  enum class Kind { kConnect = 0, kRead = 1, kSend = 2 };

  // `expired` runs on the loop when a started deadline passes (it is stopped by then).
  UpstreamTimers(event::Dispatcher& dispatcher, std::function<void(Kind)> expired)
      : dispatcher_(dispatcher), expired_(std::move(expired)) {}

  // (Re)starts `kind`'s deadline, `timeout_ms` from now.
  void Start(Kind kind, uint64_t timeout_ms);
  void Stop(Kind kind);
  void StopAll();

 private:
  event::Dispatcher& dispatcher_;
  std::function<void(Kind)> expired_;
  std::unique_ptr<event::Timer> timers_[3];
};

}  // namespace gatehouse::dataplane::proxy
