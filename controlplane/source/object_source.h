// The seam between where Kubernetes objects come from (a folder of YAML, the API server) and the
// control plane's object cache.
//
// A source lists its objects, delivers each as an upsert, then says "synced"; after that it
// delivers changes as they happen. It never translates and never decides what an object means:
// it only reports objects it could not read, as SourceErrors.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/source/kube_objects.h"
#include "gatehouse/v1/admin.pb.h"

namespace gatehouse::controlplane::source {

// Receives a source's deliveries; called from the source's own thread, so an implementation only
// records or enqueues and returns quickly.
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // The object is new or its content changed.
  virtual void OnUpsert(const KubeObject& object) = 0;
  // The object is gone.
  virtual void OnDelete(const ObjectKey& key) = 0;
  // Everything present at start has been delivered; called once, after the initial upserts.
  virtual void OnSynced() = 0;
};

// "file: object: message" (or "file: message" for a whole file), as logs and status show it.
inline std::string FormatSourceError(const gatehouse::v1::SourceError& error) {
  if (error.object().empty()) return absl::StrCat(error.file(), ": ", error.message());
  return absl::StrCat(error.file(), ": ", error.object(), ": ", error.message());
}

class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  // Delivers the initial objects and OnSynced to `sink`, then keeps delivering changes until
  // Stop. `sink` must outlive Stop.
  virtual absl::Status Start(ObjectSink* sink) = 0;
  // Stops delivering; no sink call happens after it returns. Idempotent.
  virtual void Stop() = 0;
  // The inputs the source currently cannot use, sorted by file and object; thread-safe.
  virtual std::vector<gatehouse::v1::SourceError> Errors() const = 0;
};

}  // namespace gatehouse::controlplane::source
