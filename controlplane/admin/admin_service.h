// The control plane's admin API (gatehouse.v1.AdminService), what gatehousectl talks to.
//
// GetStatus says who this process is, whether it has published a snapshot, the version of each
// resource type, what it made of every Ingress and which inputs it could not read;
// GetConfigDump returns the current snapshot's resource sets; GetProxyStatus every connected data
// plane with the versions it was sent, acknowledged and refused. Everything it shows comes from the
// providers it is given, so it holds no state of its own.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controlplane/translate/report.h"
#include "controlplane/xds/discovery_server.h"
#include "controlplane/xds/snapshot_cache.h"
#include "gatehouse/v1/admin.grpc.pb.h"

namespace gatehouse::controlplane::admin {

class AdminService final : public gatehouse::v1::AdminService::Service {
 public:
  struct Providers {
    const xds::SnapshotCache* cache = nullptr;
    std::function<std::vector<translate::IngressReport>()> ingress_reports;
    std::function<std::vector<gatehouse::v1::SourceError>()> source_errors;
    std::function<std::vector<xds::StreamStatus>()> streams;
  };

  // `config_source` is the --source value; `started` the process start time.
  AdminService(Providers providers, std::string config_source, absl::Time started);

  grpc::Status GetStatus(grpc::ServerContext* context,
                         const gatehouse::v1::GetStatusRequest* request,
                         gatehouse::v1::GetStatusResponse* response) override;
  grpc::Status GetConfigDump(grpc::ServerContext* context,
                             const gatehouse::v1::GetConfigDumpRequest* request,
                             gatehouse::v1::GetConfigDumpResponse* response) override;
  grpc::Status GetProxyStatus(grpc::ServerContext* context,
                              const gatehouse::v1::GetProxyStatusRequest* request,
                              gatehouse::v1::GetProxyStatusResponse* response) override;

 private:
  const Providers providers_;
  const std::string config_source_;
  const absl::Time started_;
  const std::string node_id_;
};

}  // namespace gatehouse::controlplane::admin
