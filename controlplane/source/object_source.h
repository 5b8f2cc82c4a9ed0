// The seam between where Kubernetes objects come from (a folder of YAML, the API server) and the
// control plane's object cache.
//
// A source lists its objects, delivers each as an upsert, then says "synced"; after that it
// delivers changes as they happen. It never translates and never decides what an object means:
// it only reports objects it could not read, as SourceErrors.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/objects/object_store.h"
#include "gatehouse/v1/admin.pb.h"

namespace gatehouse::controlplane::source {

// The object model the sources deliver (controlplane/objects).
namespace kube = ::gatehouse::v1::kube;
using objects::IsNamespaced;
using objects::KeyOf;
using objects::Kind;
using objects::KindName;
using objects::KubeObject;
using objects::NamespacedName;
using objects::ObjectKey;
using objects::ObjectStore;
using objects::SameContent;

// One change to the world: an object that is new or whose content changed, or the key of an
// object that is gone.
using ObjectChange = std::variant<KubeObject, ObjectKey>;

// Receives a source's deliveries; called from the source's own threads (the Kubernetes source
// has one per kind), so an implementation is thread-safe, only records or enqueues, and returns
// quickly.
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // Changes that belong together (one file re-read, one watch event): whoever reads the world
  // sees all of them or none, so an Ingress and the Service it names arrive as one.
  virtual void OnChanges(std::vector<ObjectChange> changes) = 0;
  // Everything present at start has been delivered; called once, after the initial changes.
  virtual void OnSynced() = 0;

  // One change on its own.
  void OnUpsert(const KubeObject& object) { OnChanges({ObjectChange(object)}); }
  void OnDelete(const ObjectKey& key) { OnChanges({ObjectChange(key)}); }
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
