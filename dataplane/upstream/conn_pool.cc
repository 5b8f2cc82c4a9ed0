#include "dataplane/upstream/conn_pool.h"

namespace gatehouse::dataplane::upstream {

ConnPools::~ConnPools() { Clear(); }

absl::StatusOr<std::unique_ptr<UpstreamStream>> ConnPools::Acquire(
    const config::ClusterConfig& cluster, const config::EndpointAddress& endpoint, bool* reused) {
  // Cleartext HTTP/1.1, the usual case, needs no key of its own: the endpoint's is it.
  std::string transport_key;
  if (!cluster.transport_key.empty()) transport_key = cluster.ConnectionKey(endpoint);
  absl::string_view key = cluster.transport_key.empty() ? endpoint.Key() : transport_key;
  if (cluster.protocol == v1::Cluster::HTTP2) {
    std::vector<std::unique_ptr<Http2Connection>>& connections = http2_[key];
    for (const std::unique_ptr<Http2Connection>& connection : connections) {
      if (!connection->HasRoom()) continue;
      *reused = connection->connected();
      return connection->NewStream();
    }
    absl::StatusOr<std::unique_ptr<Http2Connection>> connection =
        Http2Connection::Connect(dispatcher_, cluster, endpoint, this);
    if (!connection.ok()) return connection.status();
    *reused = false;
    connections.push_back(*std::move(connection));
    return connections.back()->NewStream();
  }
  auto it = idle_.find(key);
  if (it != idle_.end()) {
    std::vector<std::unique_ptr<UpstreamConnection>>& idle = it->second;
    while (!idle.empty()) {
      std::unique_ptr<UpstreamConnection> connection = std::move(idle.back());
      idle.pop_back();
      connection->EndIdle();
      if (connection->Reusable()) {
        *reused = true;
        return connection;
      }
      dispatcher_.DeferDelete(std::move(connection));
    }
  }
  *reused = false;
  absl::StatusOr<std::unique_ptr<UpstreamConnection>> connection =
      UpstreamConnection::Connect(dispatcher_, cluster, endpoint);
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<UpstreamStream>(*std::move(connection));
}

void ConnPools::Release(std::unique_ptr<UpstreamStream> stream) {
  if (stream->multiplexed()) {
    // The exchange lets go of its stream; the connection stays with its others.
    dispatcher_.DeferDelete(std::move(stream));
    return;
  }
  std::unique_ptr<UpstreamConnection> connection(
      static_cast<UpstreamConnection*>(stream.release()));
  std::vector<std::unique_ptr<UpstreamConnection>>& idle = idle_[connection->connection_key()];
  if (!connection->Reusable() || idle.size() >= max_idle_per_endpoint_) {
    dispatcher_.DeferDelete(std::move(connection));
    return;
  }
  connection->StartIdle(*this, idle_timeouts_);
  idle.push_back(std::move(connection));
}

void ConnPools::OnIdleClose(UpstreamConnection& connection) {
  auto it = idle_.find(connection.connection_key());
  if (it == idle_.end()) return;
  std::vector<std::unique_ptr<UpstreamConnection>>& idle = it->second;
  for (auto i = idle.begin(); i != idle.end(); ++i) {
    if (i->get() == &connection) {
      connection.EndIdle();
      dispatcher_.DeferDelete(std::move(*i));
      idle.erase(i);
      return;
    }
  }
}

void ConnPools::OnConnectionDone(Http2Connection& connection) {
  auto it = http2_.find(connection.connection_key());
  if (it == http2_.end()) return;
  std::vector<std::unique_ptr<Http2Connection>>& connections = it->second;
  for (auto i = connections.begin(); i != connections.end(); ++i) {
    if (i->get() == &connection) {
      dispatcher_.DeferDelete(std::move(*i));
      connections.erase(i);
      break;
    }
  }
  if (connections.empty()) http2_.erase(it);
}

void ConnPools::OnConfigUpdate(const config::DataplaneConfig& config) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto current = it++;
    if (config.HasConnectionKey(current->first)) continue;
    for (auto& connection : current->second) {
      connection->EndIdle();
      dispatcher_.DeferDelete(std::move(connection));
    }
    idle_.erase(current);
  }
  std::vector<Http2Connection*> leaving;
  for (auto& [key, connections] : http2_) {
    if (config.HasConnectionKey(key)) continue;
    for (auto& connection : connections) leaving.push_back(connection.get());
  }
  for (Http2Connection* connection : leaving) connection->Drain();  // may remove it
}

size_t ConnPools::idle_connections() const {
  size_t count = 0;
  for (const auto& [key, idle] : idle_) count += idle.size();
  return count;
}

void ConnPools::Clear() {
  for (auto& [key, idle] : idle_) {
    for (auto& connection : idle) {
      connection->EndIdle();
      dispatcher_.DeferDelete(std::move(connection));
    }
  }
  idle_.clear();
  std::vector<Http2Connection*> open;
  for (auto& [key, connections] : http2_) {
    for (auto& connection : connections) open.push_back(connection.get());
  }
  for (Http2Connection* connection : open) connection->Drain();
  idle_timeouts_.Close();
}

}  // namespace gatehouse::dataplane::upstream
