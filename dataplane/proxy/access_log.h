// The access log: one JSON line per request, written by a thread of its own.
//
// Workers only append a finished line to a buffer under a short lock; the writer thread takes
// the buffer every 100 ms (or sooner when it fills) and writes it out, so a slow disk or a full
// pipe never blocks a worker. Past kMaxBuffered bytes waiting, lines are dropped and counted
// (gatehouse_dataplane_access_log_dropped_total) rather than held.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"

namespace gatehouse::dataplane::proxy {

// What one line says about one request.
struct AccessRecord {
  absl::Time start;
  absl::Duration duration;
  int worker = 0;
  std::string client;  // the client's address
  std::string method;
  std::string authority;
  std::string target;
  std::string protocol;  // "HTTP/1.1"
  int status = 0;        // 0: no response was sent (the client or the upstream went away)
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
  std::string upstream;  // the endpoint that answered ("ip:port"), or empty
  std::string route;     // the Ingress the route came from ("ns/name"), or empty
  std::string request_id;
  std::string user_agent;
};

// The record as one JSON object (no newline), strings escaped as JSON requires.
std::string FormatAccessRecord(const AccessRecord& record);

class AccessLog {
 public:
  static constexpr size_t kMaxBuffered = 8 << 20;

  // Appends to the file at `path`, or writes to standard output for "stdout" or "-".
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();

  // Queues one record's line; thread-safe, never blocks on I/O.
  void Write(const AccessRecord& record);

 private:
  AccessLog(std::FILE* file, bool owned);
  void Run();

  std::FILE* const file_;
  const bool owned_;
  Counter* const dropped_;
  absl::Mutex mutex_;
  std::string buffer_ ABSL_GUARDED_BY(mutex_);
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread writer_;
};

}  // namespace gatehouse::dataplane::proxy
