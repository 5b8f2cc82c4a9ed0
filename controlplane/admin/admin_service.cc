#include "controlplane/admin/admin_service.h"

#include <unistd.h>

#include "absl/time/clock.h"
#include "common/process.h"

namespace gatehouse::controlplane::admin {
namespace {

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

}  // namespace

AdminService::AdminService(Providers providers, std::string config_source, absl::Time started)
    : providers_(std::move(providers)),
      config_source_(std::move(config_source)),
      started_(started),
      node_id_(Hostname()) {}

grpc::Status AdminService::GetStatus(grpc::ServerContext* context,
                                     const gatehouse::v1::GetStatusRequest* request,
                                     gatehouse::v1::GetStatusResponse* response) {
  response->set_component("controlplane");
  response->set_node_id(node_id_);
  response->set_build_version(std::string(kBuildVersion));
  response->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
  response->set_config_source(config_source_);
  std::shared_ptr<const xds::Snapshot> snapshot = providers_.cache->Current();
  response->set_ready(snapshot != nullptr);
  if (snapshot != nullptr) {
    for (const xds::ResourceSet& set : snapshot->sets) {
      gatehouse::v1::ResourceVersion& version = *response->add_versions();
      version.set_type_url(set.type_url);
      version.set_version(set.version);
    }
  }
  if (providers_.ingress_reports) {
    for (auto& report : providers_.ingress_reports())
      *response->add_ingresses() = std::move(report);
  }
  if (providers_.source_errors) {
    for (auto& error : providers_.source_errors())
      *response->add_source_errors() = std::move(error);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetConfigDump(grpc::ServerContext* context,
                                         const gatehouse::v1::GetConfigDumpRequest* request,
                                         gatehouse::v1::GetConfigDumpResponse* response) {
  std::shared_ptr<const xds::Snapshot> snapshot = providers_.cache->Current();
  if (snapshot == nullptr) return grpc::Status::OK;
  for (const xds::ResourceSet& set : snapshot->sets) {
    gatehouse::v1::ConfigResourceSet& out = *response->add_sets();
    out.set_type_url(set.type_url);
    out.set_version(set.version);
    for (const google::protobuf::Any& resource : set.resources) *out.add_resources() = resource;
  }
  return grpc::Status::OK;
}

}  // namespace gatehouse::controlplane::admin
