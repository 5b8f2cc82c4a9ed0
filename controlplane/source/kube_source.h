// The Kubernetes API source (--source=kubernetes): list, then watch, each kind the control plane
// reads, as client-go's reflectors do.
//
// One thread per kind (Ingress, IngressClass, Service, EndpointSlice, and Secrets of type
// kubernetes.io/tls), in every namespace or only --watch-namespace. Each lists in pages
// (`limit`/`continue`), delivers the whole list as one batch (with deletes for what a relist no
// longer finds), then watches from the list's resourceVersion with bookmarks and a randomised
// `timeoutSeconds`. A watch the server ends cleanly is started again from the last version seen;
// an ERROR 410 (the version is gone from the server's history) means a relist; a failure or a
// 429 waits a growing, jittered time, or what Retry-After says. The sink hears "synced" only once
// every kind has been listed, so a restart never serves half a world.
//
// Objects arrive as the same typed messages the folder source makes (Protobuf's JSON parser over
// kube.proto), without what changes on every write and means nothing to routing (status,
// resourceVersion), so a status update is no change at all.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "controlplane/kube/kube_client.h"
#include "controlplane/source/object_source.h"

namespace gatehouse::controlplane::source {

class KubeSource : public ObjectSource {
 public:
  struct Options {
    controlplane::kube::KubeConnection connection;
    std::string watch_namespace;  // empty: every namespace
  };

  explicit KubeSource(Options options);
  ~KubeSource() override;

  absl::Status Start(ObjectSink* sink) override;
  void Stop() override;
  std::vector<gatehouse::v1::SourceError> Errors() const override;

  class Watcher;

 private:
  friend class Watcher;
  // A kind was listed for the first time; the last one makes the source synced.
  void KindListed();
  // Sets (or with an empty message clears) the problem reported under `object`.
  void SetError(const std::string& object, std::string message);

  const Options options_;
  controlplane::kube::KubeClient client_;
  ObjectSink* sink_ = nullptr;
  absl::Notification stop_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
  std::vector<std::thread> threads_;
  std::atomic<int> unlisted_kinds_{0};

  mutable absl::Mutex mutex_;
  std::map<std::string, std::string> errors_ ABSL_GUARDED_BY(mutex_);  // object → message
};

}  // namespace gatehouse::controlplane::source
