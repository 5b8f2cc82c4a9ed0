// The data plane's admin API: its status and the config it runs.
#pragma once

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "dataplane/config/config_client.h"
#include "gatehouse/v1/admin.grpc.pb.h"

namespace gatehouse::dataplane::admin {

class DataplaneAdminService final : public v1::AdminService::Service {
 public:
  using SnapshotFn = std::function<config::ConfigClient::Snapshot()>;

  DataplaneAdminService(std::string node_id, SnapshotFn snapshot);

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::GetStatusResponse* response) override;
  grpc::Status GetConfigDump(grpc::ServerContext* context, const v1::GetConfigDumpRequest* request,
                             v1::GetConfigDumpResponse* response) override;

 private:
  const std::string node_id_;
  const SnapshotFn snapshot_;
  const absl::Time started_ = absl::Now();
};

}  // namespace gatehouse::dataplane::admin
