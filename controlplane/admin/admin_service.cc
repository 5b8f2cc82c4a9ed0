#include "controlplane/admin/admin_service.h"

#include <unistd.h>

#include <algorithm>
#include <tuple>

#include "absl/time/clock.h"
#include "common/process.h"
#include "common/resource_types.h"
#include "controlplane/translate/report_proto.h"

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
    for (const std::shared_ptr<const xds::ResourceSet>& set : snapshot->sets) {
      gatehouse::v1::ResourceVersion& version = *response->add_versions();
      version.set_type_url(set->type_url);
      version.set_version(set->version);
    }
  }
  if (providers_.ingress_reports) {
    for (const translate::IngressReport& report : providers_.ingress_reports()) {
      *response->add_ingresses() = translate::ReportToProto(report);
    }
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
  for (const std::shared_ptr<const xds::ResourceSet>& set : snapshot->sets) {
    gatehouse::v1::ConfigResourceSet& out = *response->add_sets();
    out.set_type_url(set->type_url);
    out.set_version(set->version);
    for (const google::protobuf::Any& resource : set->resources) {
      *out.add_resources() = RedactedForDisplay(resource);
    }
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetProxyStatus(grpc::ServerContext*,
                                          const gatehouse::v1::GetProxyStatusRequest*,
                                          gatehouse::v1::GetProxyStatusResponse* response) {
  std::vector<xds::StreamStatus> streams =
      providers_.streams ? providers_.streams() : std::vector<xds::StreamStatus>();
  std::sort(streams.begin(), streams.end(),
            [](const xds::StreamStatus& a, const xds::StreamStatus& b) {
              return std::tie(a.node_id, a.stream_id) < std::tie(b.node_id, b.stream_id);
            });
  std::shared_ptr<const xds::Snapshot> snapshot = providers_.cache->Current();
  absl::Time now = absl::Now();
  for (const xds::StreamStatus& stream : streams) {
    gatehouse::v1::ProxyStatus* proxy = response->add_proxies();
    proxy->set_node_id(stream.node_id);
    proxy->set_address(stream.peer);
    proxy->set_build_version(stream.node_build_version);
    proxy->set_connected_seconds(absl::ToInt64Seconds(now - stream.connected_since));
    for (absl::string_view type : kResourceTypesInOrder) {
      std::string type_url(type);
      gatehouse::v1::ProxyTypeStatus* status = proxy->add_types();
      status->set_type_url(type_url);
      if (snapshot != nullptr) {
        if (const xds::ResourceSet* set = snapshot->Find(type)) {
          status->set_latest_version(set->version);
        }
      }
      if (auto it = stream.sent_versions.find(type_url); it != stream.sent_versions.end()) {
        status->set_sent_version(it->second);
      }
      if (auto it = stream.acked_versions.find(type_url); it != stream.acked_versions.end()) {
        status->set_acked_version(it->second);
      }
      if (auto it = stream.last_nacks.find(type_url); it != stream.last_nacks.end()) {
        status->set_nacked_version(it->second.rejected_version);
        status->set_nack_message(it->second.message);
      }
    }
  }
  return grpc::Status::OK;
}

}  // namespace gatehouse::controlplane::admin
