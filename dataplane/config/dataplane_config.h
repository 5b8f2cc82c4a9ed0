// The data plane's whole configuration at one moment: immutable once built.
//
// The config client builds a DataplaneConfig from the four resource sets it holds, off the
// request path, and posts a shared_ptr to every worker; a request keeps the one it started with.
// Building validates everything. A version that is malformed as a whole (a resource of the
// wrong type, without a name, twice) is refused whole. Otherwise a resource the data plane
// cannot serve (a virtual host whose regex or filter does not compile, a certificate that does
// not load, a cluster whose TLS cannot be set up, an endpoint with a bad address) is left out
// alone and listed in dropped(): one tenant's bad object never holds back everyone else's
// change. The config client applies such a version and reports what it left out in a NACK.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "dataplane/router/route_table.h"
#include "dataplane/tls/tls_context.h"
#include "gatehouse/v1/config.pb.h"
#include "gatehouse/v1/discovery.pb.h"
#include "google/protobuf/any.pb.h"

namespace gatehouse::dataplane::config {

class EndpointAddress {
 public:
  EndpointAddress(std::string ip, uint16_t port);

  const std::string& ip() const { return ip_; }
  uint16_t port() const { return port_; }
  // "ip:port", "[ip]:port" for IPv6: made once, as every request looks its endpoint up by it.
  const std::string& Key() const { return key_; }

 private:
  std::string ip_;
  uint16_t port_;
  std::string key_;
};

struct ClusterConfig {
  std::string name;
  uint32_t connect_timeout_ms = 0;  // 0: the data plane's --upstream-connect-timeout
  v1::Cluster::Protocol protocol = v1::Cluster::HTTP1;
  std::shared_ptr<const tls::ClientContext> tls;  // null: cleartext
  std::string tls_server_name;                    // SNI, and the name verified
  // How connections to the endpoints are made, so that pooled connections are shared only by
  // clusters making them alike: empty for cleartext HTTP/1.1, else protocol and TLS settings.
  std::string transport_key;

  // The key of the pool holding connections to `endpoint` made as this cluster makes them.
  std::string ConnectionKey(const EndpointAddress& endpoint) const {
    return transport_key + endpoint.Key();
  }
  // The endpoints traffic goes to: the ready ones, or, when none is ready, the serving ones
  // that are terminating.
  std::vector<EndpointAddress> endpoints;
};

// One resource type's set as the data plane holds it: its version and resources by name.
struct ResourceSet {
  std::string version;
  std::map<std::string, google::protobuf::Any> resources;
};

// Applies one discovery response to `sets`: replaces the type's set, or with an incremental
// response adds, changes and removes resources by name. Every resource must have its name and
// the response's type, and appear once; the error lists each one that does not, and leaves
// `sets` as it was.
absl::Status ApplyResponse(const v1::DiscoveryResponse& response,
                           std::map<std::string, ResourceSet>& sets);

class DataplaneConfig {
 public:
  // Validates the sets (keyed by type URL; missing types count as empty) and builds the config,
  // leaving out what cannot be served (dropped()). The error names every problem that refuses
  // the version whole. When `previous` has the same listener and route
  // versions, its route table is reused: an endpoints change rebuilds no routes. Certificates
  // become TLS contexts set up by `tls`; route filters compile with `compile_filter`.
  static absl::StatusOr<std::shared_ptr<const DataplaneConfig>> Build(
      std::map<std::string, ResourceSet> sets, const DataplaneConfig* previous = nullptr,
      const tls::ServerSettings& tls = tls::ServerSettings::Defaults(),
      filters::FilterCompiler compile_filter = filters::CompileFilter);

  // The route table of the "http" listener; never null.
  const router::RouteTable& http_routes() const { return *http_routes_; }
  // The "https" listener's certificates by server name; never null.
  const tls::CertificateTable* certificates() const { return certificates_.get(); }
  // The cluster named `name`, or nullptr.
  const ClusterConfig* FindCluster(absl::string_view name) const;
  // The cluster TLS connections naming `server_name` (lower case) pass through to, untouched;
  // null when they are terminated here.
  const std::string* PassthroughCluster(absl::string_view server_name) const;
  bool has_passthrough() const { return !passthrough_.empty(); }
  // Whether any cluster sends traffic to the endpoint with this EndpointAddress::Key().
  bool HasEndpoint(absl::string_view key) const { return endpoint_keys_.contains(key); }
  // Whether some cluster makes connections under this ClusterConfig::ConnectionKey.
  bool HasConnectionKey(absl::string_view key) const {
    return endpoint_keys_.contains(key) || connection_keys_.contains(key);
  }
  const std::map<std::string, ResourceSet>& sets() const { return sets_; }
  std::string VersionOf(absl::string_view type_url) const;
  // Whether every resource type has arrived at least once: only then is the data plane ready.
  bool complete() const;
  // The resources of type `type_url` left out of this config, each with the reason
  // ("cluster \"x\": ..."); dropped() has those of every type.
  const std::vector<std::string>& DroppedOf(absl::string_view type_url) const;
  std::vector<std::string> dropped() const;

 private:
  DataplaneConfig() = default;
  // The "https" listener's passthrough hosts; one that cannot be used is dropped, and said so.
  void AddPassthrough(const v1::Listener& listener);

  std::map<std::string, ResourceSet> sets_;
  std::shared_ptr<const router::RouteTable> http_routes_;
  std::shared_ptr<const tls::CertificateTable> certificates_;
  absl::flat_hash_map<std::string, ClusterConfig> clusters_;
  absl::flat_hash_map<std::string, std::string> passthrough_;  // server name -> cluster
  absl::flat_hash_set<std::string> endpoint_keys_;
  absl::flat_hash_set<std::string> connection_keys_;  // those with a transport key
  // What was left out, by type; those of the route table and the certificates are carried
  // with them when they are reused.
  std::vector<std::string> dropped_clusters_;
  std::vector<std::string> dropped_endpoints_;
  std::vector<std::string> dropped_certificates_;
  std::vector<std::string> dropped_routes_;
};

}  // namespace gatehouse::dataplane::config
