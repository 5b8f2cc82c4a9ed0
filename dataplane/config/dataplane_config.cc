#include "dataplane/config/dataplane_config.h"

#include <arpa/inet.h>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "common/resource_types.h"
#include "dataplane/tls/tls_context.h"

namespace gatehouse::dataplane::config {
namespace {

// Fills the cluster's protocol and TLS; a TLS context equal to the previous version's is shared
// rather than made again (an endpoints change rebuilds every cluster).
absl::Status SetTransport(const v1::Cluster& cluster, const DataplaneConfig* previous,
                          ClusterConfig& entry) {
  entry.protocol = cluster.protocol();
  if (!cluster.has_tls()) {
    if (entry.protocol == v1::Cluster::HTTP2) entry.transport_key = "h2c|";
    return absl::OkStatus();
  }
  const v1::UpstreamTls& tls = cluster.tls();
  if (tls.verify() && tls.server_name().empty()) {
    return absl::InvalidArgumentError("TLS verification needs a server name");
  }
  entry.tls_server_name = tls.server_name();
  entry.transport_key = absl::StrCat(
      entry.protocol == v1::Cluster::HTTP2 ? "h2" : "http/1.1", "+tls|", tls.server_name(), "|",
      tls.verify() ? absl::StrCat("verify:", absl::Hash<std::string>()(tls.trusted_ca())) : "any",
      "|");
  if (previous != nullptr) {
    const ClusterConfig* before = previous->FindCluster(cluster.name());
    if (before != nullptr && before->transport_key == entry.transport_key && before->tls) {
      entry.tls = before->tls;
      return absl::OkStatus();
    }
  }
  absl::StatusOr<std::shared_ptr<const tls::ClientContext>> context = tls::ClientContext::Create(
      tls.verify(), tls.trusted_ca(), entry.protocol == v1::Cluster::HTTP2);
  if (!context.ok()) return context.status();
  entry.tls = *std::move(context);
  return absl::OkStatus();
}

bool IsIpLiteral(const std::string& ip) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

// The set of `type`, or an empty one; never inserts, so missing types stay missing.
const ResourceSet& SetOf(const std::map<std::string, ResourceSet>& sets, absl::string_view type) {
  static const ResourceSet* const kEmpty = new ResourceSet();
  auto it = sets.find(std::string(type));
  return it == sets.end() ? *kEmpty : it->second;
}

// Unpacks every resource of `set` into T, reporting the ones that are not a T.
template <typename T>
std::vector<T> Unpack(const ResourceSet& set, absl::string_view kind,
                      std::vector<std::string>& errors) {
  std::vector<T> out;
  for (const auto& [name, resource] : set.resources) {
    T message;
    if (!resource.UnpackTo(&message)) {
      errors.push_back(absl::StrCat(kind, " \"", name, "\": not a ", T::descriptor()->full_name(),
                                    " (", resource.type_url(), ")"));
      continue;
    }
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace

EndpointAddress::EndpointAddress(std::string ip, uint16_t port)
    : ip_(std::move(ip)),
      port_(port),
      key_(ip_.find(':') != std::string::npos ? absl::StrCat("[", ip_, "]:", port_)
                                              : absl::StrCat(ip_, ":", port_)) {}

absl::Status ApplyResponse(const v1::DiscoveryResponse& response,
                           std::map<std::string, ResourceSet>& sets) {
  std::vector<std::string> errors;
  ResourceSet updated;
  auto current = sets.find(response.type_url());
  if (response.incremental() && current != sets.end()) updated = current->second;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < response.resources_size(); ++i) {
    const google::protobuf::Any& resource = response.resources(i);
    if (resource.type_url() != response.type_url()) {
      errors.push_back(absl::StrCat("resources[", i, "] is a ", resource.type_url(), ", not a ",
                                    response.type_url()));
      continue;
    }
    absl::StatusOr<std::string> name = ResourceName(resource);
    if (!name.ok()) {
      errors.push_back(absl::StrCat("resources[", i, "]: ", name.status().message()));
      continue;
    }
    if (name->empty()) {
      errors.push_back(absl::StrCat("resources[", i, "] has no name"));
      continue;
    }
    if (!seen.insert(*name).second) {
      errors.push_back(absl::StrCat("resource \"", *name, "\" appears twice"));
      continue;
    }
    updated.resources[*name] = resource;
  }
  for (const std::string& name : response.removed_resources()) updated.resources.erase(name);
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  updated.version = response.version_info();
  sets[response.type_url()] = std::move(updated);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const DataplaneConfig>> DataplaneConfig::Build(
    std::map<std::string, ResourceSet> sets, const DataplaneConfig* previous,
    const tls::ServerSettings& tls, filters::FilterCompiler compile_filter) {
  std::unique_ptr<DataplaneConfig> config(new DataplaneConfig());
  std::vector<std::string> errors;

  for (const v1::Cluster& cluster :
       Unpack<v1::Cluster>(SetOf(sets, kClusterType), "clusters", errors)) {
    if (cluster.name().empty()) {
      errors.push_back("cluster without a name");
      continue;
    }
    ClusterConfig entry;
    entry.name = cluster.name();
    if (cluster.connect_timeout_ms() > 0) entry.connect_timeout_ms = cluster.connect_timeout_ms();
    if (absl::Status transport = SetTransport(cluster, previous, entry); !transport.ok()) {
      // Left out alone: its routes answer 503, everyone else's are served.
      config->dropped_clusters_.push_back(
          absl::StrCat("cluster \"", cluster.name(), "\": ", transport.message()));
      continue;
    }
    if (!config->clusters_.emplace(cluster.name(), std::move(entry)).second) {
      errors.push_back(absl::StrCat("cluster \"", cluster.name(), "\" appears twice"));
    }
  }

  absl::flat_hash_set<std::string> assigned;
  for (const v1::ClusterLoadAssignment& assignment :
       Unpack<v1::ClusterLoadAssignment>(SetOf(sets, kEndpointsType), "endpoints", errors)) {
    const std::string& name = assignment.cluster_name();
    if (!assigned.insert(name).second) {
      errors.push_back(absl::StrCat("endpoints for cluster \"", name, "\" appear twice"));
      continue;
    }
    auto it = config->clusters_.find(name);
    if (it == config->clusters_.end()) continue;  // endpoints of a cluster not (yet) known
    std::vector<EndpointAddress> ready;
    std::vector<EndpointAddress> terminating;
    for (int i = 0; i < assignment.endpoints_size(); ++i) {
      const v1::Endpoint& endpoint = assignment.endpoints(i);
      if (!IsIpLiteral(endpoint.address()) || endpoint.port() == 0 || endpoint.port() > 65535) {
        config->dropped_endpoints_.push_back(absl::StrCat("endpoints for cluster \"", name, "\"[",
                                                          i, "]: bad address ", endpoint.address(),
                                                          ":", endpoint.port()));
        continue;
      }
      EndpointAddress address{endpoint.address(), static_cast<uint16_t>(endpoint.port())};
      if (endpoint.ready()) {
        ready.push_back(std::move(address));
      } else if (endpoint.serving() && endpoint.terminating()) {
        terminating.push_back(std::move(address));
      }
    }
    it->second.endpoints = ready.empty() ? std::move(terminating) : std::move(ready);
    for (const EndpointAddress& address : it->second.endpoints) {
      config->endpoint_keys_.insert(address.Key());
      if (!it->second.transport_key.empty()) {
        config->connection_keys_.insert(it->second.ConnectionKey(address));
      }
    }
  }

  bool routes_unchanged =
      previous != nullptr &&
      previous->VersionOf(kListenerType) == SetOf(sets, kListenerType).version &&
      previous->VersionOf(kRouteType) == SetOf(sets, kRouteType).version;
  std::string route_config_name = "http";
  bool listeners_unchanged = previous != nullptr && previous->VersionOf(kListenerType) ==
                                                        SetOf(sets, kListenerType).version;
  auto certificates = std::make_shared<tls::CertificateTable>();
  for (const v1::Listener& listener :
       Unpack<v1::Listener>(SetOf(sets, kListenerType), "listeners", errors)) {
    if (listener.name() == "http") route_config_name = listener.route_config_name();
    if (listener.name() == "https") config->AddPassthrough(listener);
    if (listener.name() != "https" || listeners_unchanged) continue;
    // Every certificate is loaded now: one that does not load is left out (its hosts get the
    // default certificate), and the others are served.
    for (const v1::TlsCertificate& certificate : listener.certificates()) {
      absl::StatusOr<std::shared_ptr<const tls::ServerContext>> context =
          tls::ServerContext::Create(certificate.certificate_chain(), certificate.private_key(),
                                     tls);
      if (!context.ok()) {
        config->dropped_certificates_.push_back(
            absl::StrCat("certificate \"", certificate.name(), "\": ", context.status().message()));
        continue;
      }
      for (const std::string& name : certificate.server_names()) {
        certificates->Add(name, *context);
      }
    }
    // A validation that does not load is left out, and so are its hosts' requests: their
    // ClientCertificate filters find no handshake that applied it, and answer 421.
    for (const v1::ClientValidation& entry : listener.client_validations()) {
      absl::StatusOr<std::shared_ptr<const tls::ClientValidation>> validation =
          tls::ClientValidation::Create(entry.name(), entry.trusted_ca(), entry.crl(),
                                        static_cast<int>(entry.verify_depth()));
      if (!validation.ok()) {
        config->dropped_certificates_.push_back(absl::StrCat(
            "client validation \"", entry.name(), "\": ", validation.status().message()));
        continue;
      }
      for (const std::string& name : entry.server_names()) {
        certificates->AddValidation(name, *validation);
      }
    }
    for (const std::string& name : listener.unchecked_server_names()) {
      certificates->AddValidation(name, nullptr);  // found first: no wildcard's applies
    }
    if (listener.has_default_certificate()) {
      const v1::TlsCertificate& fallback = listener.default_certificate();
      absl::StatusOr<std::shared_ptr<const tls::ServerContext>> context =
          tls::ServerContext::Create(fallback.certificate_chain(), fallback.private_key(), tls);
      if (context.ok()) {
        certificates->SetDefault(*std::move(context));
      } else {
        config->dropped_certificates_.push_back(absl::StrCat(
            "default certificate \"", fallback.name(), "\": ", context.status().message()));
      }
    }
  }
  if (listeners_unchanged) {
    config->certificates_ = previous->certificates_;
    config->dropped_certificates_ = previous->dropped_certificates_;
  } else {
    config->certificates_ = std::move(certificates);
  }
  v1::RouteConfiguration http_routes;
  for (const v1::RouteConfiguration& routes :
       Unpack<v1::RouteConfiguration>(SetOf(sets, kRouteType), "routes", errors)) {
    if (routes.name() == route_config_name) http_routes = routes;
  }
  if (routes_unchanged) {
    config->http_routes_ = previous->http_routes_;
    config->dropped_routes_ = previous->dropped_routes_;
  } else {
    router::RouteTable::Isolated table =
        router::RouteTable::BuildIsolating(http_routes, compile_filter);
    config->http_routes_ = std::move(table.table);
    for (std::string& dropped : table.dropped) {
      config->dropped_routes_.push_back(
          absl::StrCat("route configuration \"", route_config_name, "\" ", dropped));
    }
  }

  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  config->sets_ = std::move(sets);
  return std::shared_ptr<const DataplaneConfig>(std::move(config));
}

void DataplaneConfig::AddPassthrough(const v1::Listener& listener) {
  for (const v1::Passthrough& entry : listener.passthrough()) {
    std::string problem;
    if (!IsDnsName(entry.server_name()) ||
        entry.server_name() != absl::AsciiStrToLower(entry.server_name())) {
      problem = "is not a lower-case host name";
    } else if (entry.cluster().empty()) {
      problem = "names no cluster";
    } else if (!passthrough_.try_emplace(entry.server_name(), entry.cluster()).second) {
      problem = "is passed through already";
    }
    if (!problem.empty()) {
      dropped_certificates_.push_back(
          absl::StrCat("passthrough ", QuoteForMessage(entry.server_name()), " ", problem));
    }
  }
}

const std::string* DataplaneConfig::PassthroughCluster(absl::string_view server_name) const {
  auto it = passthrough_.find(server_name);
  return it == passthrough_.end() ? nullptr : &it->second;
}

const ClusterConfig* DataplaneConfig::FindCluster(absl::string_view name) const {
  auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : &it->second;
}

const std::vector<std::string>& DataplaneConfig::DroppedOf(absl::string_view type_url) const {
  static const std::vector<std::string>* const kNone = new std::vector<std::string>();
  if (type_url == kClusterType) return dropped_clusters_;
  if (type_url == kEndpointsType) return dropped_endpoints_;
  if (type_url == kListenerType) return dropped_certificates_;
  if (type_url == kRouteType) return dropped_routes_;
  return *kNone;
}

std::vector<std::string> DataplaneConfig::dropped() const {
  std::vector<std::string> all;
  for (absl::string_view type : kResourceTypesInOrder) {
    const std::vector<std::string>& of_type = DroppedOf(type);
    all.insert(all.end(), of_type.begin(), of_type.end());
  }
  return all;
}

bool DataplaneConfig::complete() const {
  for (absl::string_view type : kResourceTypesInOrder) {
    if (sets_.count(std::string(type)) == 0) return false;
  }
  return true;
}

std::string DataplaneConfig::VersionOf(absl::string_view type_url) const {
  auto it = sets_.find(std::string(type_url));
  return it == sets_.end() ? "" : it->second.version;
}

}  // namespace gatehouse::dataplane::config
