#include "common/library_logs.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"

namespace gatehouse {
namespace {

void FromGrpc(gpr_log_func_args* args) {
  LogLevel level = LogLevel::kDebug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    level = LogLevel::kError;
  } else if (args->severity == GPR_LOG_SEVERITY_INFO) {
    level = LogLevel::kInfo;
  }
  if (!LogEnabled(level)) return;
  LogLine(level, args->file, args->line, absl::StrCat("grpc: ", args->message));
}

void FromProtobuf(google::protobuf::LogLevel severity, const char* file, int line,
                  const std::string& message) {
  LogLevel level = LogLevel::kError;
  if (severity == google::protobuf::LOGLEVEL_INFO) {
    level = LogLevel::kInfo;
  } else if (severity == google::protobuf::LOGLEVEL_WARNING) {
    level = LogLevel::kWarning;
  }
  if (!LogEnabled(level)) return;
  LogLine(level, file, line, absl::StrCat("protobuf: ", message));
}

}  // namespace

void RouteLibraryLogs() {
  gpr_set_log_function(&FromGrpc);
  google::protobuf::SetLogHandler(&FromProtobuf);
}

}  // namespace gatehouse
