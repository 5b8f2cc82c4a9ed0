#include "dataplane/admin/admin_service.h"

#include "absl/time/clock.h"
#include "common/process.h"
#include "common/resource_types.h"

namespace gatehouse::dataplane::admin {

DataplaneAdminService::DataplaneAdminService(std::string node_id, SnapshotFn snapshot)
    : node_id_(std::move(node_id)), snapshot_(std::move(snapshot)) {}

grpc::Status DataplaneAdminService::GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*,
                                              v1::GetStatusResponse* response) {
  config::ConfigClient::Snapshot snapshot = snapshot_();
  response->set_component("dataplane");
  response->set_node_id(node_id_);
  response->set_build_version(std::string(kBuildVersion));
  response->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
  response->set_ready(snapshot.config != nullptr && snapshot.config->complete());
  response->set_config_source(snapshot.server.empty() ? "not connected" : snapshot.server);
  response->set_last_error(snapshot.last_error);
  for (absl::string_view type : kResourceTypesInOrder) {
    v1::ResourceVersion* version = response->add_versions();
    version->set_type_url(std::string(type));
    if (snapshot.config != nullptr) version->set_version(snapshot.config->VersionOf(type));
  }
  return grpc::Status::OK;
}

grpc::Status DataplaneAdminService::GetConfigDump(grpc::ServerContext*,
                                                  const v1::GetConfigDumpRequest*,
                                                  v1::GetConfigDumpResponse* response) {
  config::ConfigClient::Snapshot snapshot = snapshot_();
  if (snapshot.config == nullptr) return grpc::Status::OK;
  for (absl::string_view type : kResourceTypesInOrder) {
    auto it = snapshot.config->sets().find(std::string(type));
    if (it == snapshot.config->sets().end()) continue;
    v1::ConfigResourceSet* set = response->add_sets();
    set->set_type_url(std::string(type));
    set->set_version(it->second.version);
    for (const auto& [name, resource] : it->second.resources) {
      *set->add_resources() = RedactedForDisplay(resource);
    }
  }
  return grpc::Status::OK;
}

}  // namespace gatehouse::dataplane::admin
