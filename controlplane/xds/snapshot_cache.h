// The latest configuration snapshot every data-plane stream serves from.
//
// A snapshot is one ResourceSet per resource type (common/resource_types.h), each with its own
// version: a hash of the deterministic serialization of that type's resources. Versions are
// opaque and only compared, so a rebuild that changes nothing publishes nothing, and two replicas
// given the same objects announce the same versions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"

namespace gatehouse::controlplane::xds {

// "clusters", "endpoints", "listeners" or "routes" for a type URL, for logs and metrics.
absl::string_view ShortTypeName(absl::string_view type_url);

// What a data plane holds of one type: resource name → digest of the resource's content.
using ContentMap = std::map<std::string, uint64_t>;

struct ResourceSet {
  std::string type_url;
  std::string version;
  // Sorted by name; names[i] belongs to resources[i].
  std::vector<google::protobuf::Any> resources;
  std::vector<std::string> names;
  ContentMap content;  // every resource's name and digest
};

// The version of a type whose resources have these names and digests: the first 8 bytes of a
// SHA-256 over them, as 16 hex digits. Equal content, equal version, on every replica.
std::string ContentVersion(absl::string_view type_url, const ContentMap& content);

// Packs `message` into an Any with a deterministic serialization.
google::protobuf::Any PackDeterministic(const google::protobuf::Message& message);

// A set of `type_url` holding `resources` (sorted by name here), its version computed from their
// content. Resources must have distinct names.
ResourceSet MakeResourceSet(absl::string_view type_url,
                            std::vector<google::protobuf::Any> resources);

// `set` with `replacements` (resources of its type, each replacing the one of the same name or
// added) and its version recomputed; only the replacements are hashed again.
ResourceSet ReplaceResources(const ResourceSet& set,
                             std::vector<google::protobuf::Any> replacements);

// Packs each message of `messages` (a vector of one message type) into a versioned set.
template <typename Messages>
ResourceSet MakeResourceSetOf(absl::string_view type_url, const Messages& messages) {
  std::vector<google::protobuf::Any> resources;
  resources.reserve(messages.size());
  for (const auto& message : messages) resources.push_back(PackDeterministic(message));
  return MakeResourceSet(type_url, std::move(resources));
}

// One ResourceSet per type. Sets are immutable and shared: a snapshot made from another by
// replacing one type copies only pointers to the others.
struct Snapshot {
  std::vector<std::shared_ptr<const ResourceSet>> sets;  // in kResourceTypesInOrder order

  // Appends `set`, or replaces the set of its type where it already is.
  void Put(ResourceSet set);
  // The set of `type_url`, or null.
  const ResourceSet* Find(absl::string_view type_url) const;
};

class SnapshotCache {
 public:
  using Watcher = std::function<void()>;

  // Makes `snapshot` current and returns the type URLs whose version changed (every type for the
  // first snapshot). When nothing changed the current snapshot stays and watchers are not called.
  std::vector<std::string> Publish(Snapshot snapshot);

  // The current snapshot, or null before the first Publish.
  std::shared_ptr<const Snapshot> Current() const;

  // Counts publishes that changed something; 0 before the first.
  uint64_t generation() const;

  // Calls `watcher` after every publish that changed something, on the publishing thread; it must
  // not call Publish. Returns an id for RemoveWatcher.
  int AddWatcher(Watcher watcher);
  // After it returns, the watcher is not running and is never called again.
  void RemoveWatcher(int id);

 private:
  mutable absl::Mutex mutex_;
  std::shared_ptr<const Snapshot> current_ ABSL_GUARDED_BY(mutex_);
  uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;

  // Held while watchers run, so RemoveWatcher can wait for a running one.
  absl::Mutex watchers_mutex_ ABSL_ACQUIRED_AFTER(mutex_);
  std::map<int, Watcher> watchers_ ABSL_GUARDED_BY(watchers_mutex_);
  int next_watcher_id_ ABSL_GUARDED_BY(watchers_mutex_) = 0;
};

}  // namespace gatehouse::controlplane::xds
