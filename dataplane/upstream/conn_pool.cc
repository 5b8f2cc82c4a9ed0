#include "dataplane/upstream/conn_pool.h"

namespace gatehouse::dataplane::upstream {

ConnPools::~ConnPools() { Clear(); }

absl::StatusOr<std::unique_ptr<UpstreamConnection>> ConnPools::Acquire(
    const config::EndpointAddress& endpoint, bool* reused) {
  auto it = idle_.find(endpoint.Key());
  if (it != idle_.end()) {
    std::vector<std::unique_ptr<UpstreamConnection>>& idle = it->second;
    while (!idle.empty()) {
      std::unique_ptr<UpstreamConnection> connection = std::move(idle.back());
      idle.pop_back();
      if (connection->Reusable()) {
        connection->SetListener(nullptr);
        *reused = true;
        return connection;
      }
      dispatcher_.DeferDelete(std::move(connection));
    }
  }
  *reused = false;
  return UpstreamConnection::Connect(dispatcher_, endpoint);
}

void ConnPools::Release(std::unique_ptr<UpstreamConnection> connection) {
  std::vector<std::unique_ptr<UpstreamConnection>>& idle = idle_[connection->endpoint_key()];
  if (!connection->Reusable() || idle.size() >= kMaxIdlePerEndpoint) {
    dispatcher_.DeferDelete(std::move(connection));
    return;
  }
  connection->SetListener(this);
  connection->codec().SetDecoder(nullptr);
  connection->ResumeReading();
  idle.push_back(std::move(connection));
}

void ConnPools::OnClose(UpstreamConnection& connection) {
  auto it = idle_.find(connection.endpoint_key());
  if (it == idle_.end()) return;
  std::vector<std::unique_ptr<UpstreamConnection>>& idle = it->second;
  for (auto i = idle.begin(); i != idle.end(); ++i) {
    if (i->get() == &connection) {
      dispatcher_.DeferDelete(std::move(*i));
      idle.erase(i);
      return;
    }
  }
}

void ConnPools::OnConfigUpdate(const config::DataplaneConfig& config) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto current = it++;
    if (config.HasEndpoint(current->first)) continue;
    for (auto& connection : current->second) dispatcher_.DeferDelete(std::move(connection));
    idle_.erase(current);
  }
}

void ConnPools::Clear() {
  for (auto& [key, idle] : idle_) {
    for (auto& connection : idle) dispatcher_.DeferDelete(std::move(connection));
  }
  idle_.clear();
}

}  // namespace gatehouse::dataplane::upstream
