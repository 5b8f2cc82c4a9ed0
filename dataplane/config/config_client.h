// The data plane's side of the config protocol: one stream to a control plane at a time.
//
// It connects to the listed control planes in turn with backoff and jitter, tells the one it
// reaches which versions it already runs, and answers every response: a version that builds
// into a valid DataplaneConfig is applied and ACKed; any other is NACKed with every error
// found, and the last good config keeps serving. Losing the control plane changes nothing for
// traffic.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/net_address.h"
#include "dataplane/config/dataplane_config.h"
#include "grpcpp/grpcpp.h"

namespace gatehouse::dataplane::config {

class ConfigClient {
 public:
  using ApplyFn = std::function<void(std::shared_ptr<const DataplaneConfig>)>;

  struct Snapshot {
    std::shared_ptr<const DataplaneConfig> config;  // null until a first version applied
    std::string server;                             // the control plane streamed from, or ""
    std::string last_error;                         // the last NACK or connection error
  };

  // How the stream is secured: `credentials` (mutual TLS; null means plaintext), and the name
  // the server's certificate must carry (empty: the server's host).
  struct Security {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    std::string server_name;
  };

  // Configs are built with `tls`, which must outlive the client.
  ConfigClient(std::vector<HostPort> servers, std::string node_id, Security security, ApplyFn apply,
               const tls::ServerSettings* tls = &tls::ServerSettings::Defaults());
  ~ConfigClient();

  void Start();
  // Cancels the stream and joins the thread.
  void Stop();
  Snapshot GetSnapshot() const;

 private:
  void Run();
  // Streams from `server` until the stream ends; returns why it ended.
  std::string StreamFrom(const HostPort& server, bool* received_any);

  const std::vector<HostPort> servers_;
  const std::string node_id_;
  const Security security_;
  const ApplyFn apply_;
  const tls::ServerSettings* const tls_;
  std::thread thread_;

  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mutex_) = nullptr;
  std::map<std::string, ResourceSet> sets_ ABSL_GUARDED_BY(mutex_);
  Snapshot snapshot_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gatehouse::dataplane::config
