#include "dataplane/proxy/access_log.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_string.h"

namespace gatehouse::dataplane::proxy {
namespace {

void AppendField(std::string& out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(&out, out.size() > 1 ? ",\"" : "\"", name, "\":");
  AppendJsonString(out, value);
}

void AppendNumber(std::string& out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(&out, out.size() > 1 ? ",\"" : "\"", name, "\":", value);
}

}  // namespace

std::string FormatAccessRecord(const AccessRecord& r) {
  std::string out = "{";
  AppendField(out, "time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.start, absl::UTCTimeZone()));
  AppendField(out, "client", r.client);
  AppendField(out, "method", r.method);
  AppendField(out, "host", r.authority);
  AppendField(out, "target", r.target);
  AppendField(out, "protocol", r.protocol);
  AppendNumber(out, "status", absl::StrCat(r.status));
  AppendNumber(out, "request_body_bytes", absl::StrCat(r.request_body_bytes));
  AppendNumber(out, "response_body_bytes", absl::StrCat(r.response_body_bytes));
  AppendNumber(out, "duration_ms", absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(r.duration)));
  AppendField(out, "upstream", r.upstream);
  AppendField(out, "route", r.route);
  AppendField(out, "request_id", r.request_id);
  AppendField(out, "user_agent", r.user_agent);
  AppendNumber(out, "worker", absl::StrCat(r.worker));
  out += '}';
  return out;
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path == "stdout" || path == "-")
    return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open ", path, " for appending: ", std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(file, true));
}

AccessLog::AccessLog(std::FILE* file, bool owned)
    : file_(file),
      owned_(owned),
      dropped_(MetricsRegistry::Global().GetCounter(
          "gatehouse_dataplane_access_log_dropped_total",
          "Access log lines dropped because the writer fell behind.")),
      writer_([this] { Run(); }) {}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  writer_.join();
  if (owned_) std::fclose(file_);
}

void AccessLog::Write(const AccessRecord& record) {
  std::string line = FormatAccessRecord(record);
  line += '\n';
  absl::MutexLock lock(&mutex_);
  if (buffer_.size() + line.size() > kMaxBuffered) {
    dropped_->Increment();
    return;
  }
  buffer_ += line;
}

void AccessLog::Run() {
  while (true) {
    std::string batch;
    bool stopping = false;
    {
      absl::MutexLock lock(&mutex_);
      // Wake every 100 ms, or at once when a quarter of the buffer is waiting, or to stop.
      mutex_.AwaitWithTimeout(absl::Condition(
                                  +[](AccessLog* self) {
                                    return self->stop_ || self->buffer_.size() > kMaxBuffered / 4;
                                  },
                                  this),
                              absl::Milliseconds(100));
      batch.swap(buffer_);
      stopping = stop_;
    }
    if (!batch.empty()) {
      std::fwrite(batch.data(), 1, batch.size(), file_);
      std::fflush(file_);
    }
    if (stopping) return;
  }
}

}  // namespace gatehouse::dataplane::proxy
