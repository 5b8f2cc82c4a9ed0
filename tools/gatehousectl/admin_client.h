// A blocking client of gatehouse.v1.AdminService, with one deadline per call and errors turned
// into one-line messages that name the server.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net_address.h"
#include "gatehouse/v1/admin.grpc.pb.h"

namespace gatehouse::gatehousectl {

class AdminClient {
 public:
  AdminClient(const HostPort& server, absl::Duration timeout);

  // UNAVAILABLE or DEADLINE_EXCEEDED when the server cannot be reached in time.
  absl::StatusOr<gatehouse::v1::GetStatusResponse> GetStatus();
  absl::StatusOr<gatehouse::v1::GetConfigDumpResponse> GetConfigDump();
  // UNIMPLEMENTED from a data plane: only control planes know their data planes.
  absl::StatusOr<gatehouse::v1::GetProxyStatusResponse> GetProxyStatus();

 private:
  std::string target_;
  absl::Duration timeout_;
  std::unique_ptr<gatehouse::v1::AdminService::Stub> stub_;
};

}  // namespace gatehouse::gatehousectl
