// The control plane's object cache and rebuild loop (docs/design.md, "Seams": RebuildLoop).
//
// Sources call the ObjectSink methods from their own threads; those only enqueue. One owner
// thread applies the queued changes to the object store it alone touches, and rebuilds when its
// Debouncer (debouncer.h: the rules, with the time passed in) says one is due, never in the
// middle of a batch of changes. Each rebuild runs the pure translation and publishes the result
// to the snapshot cache, which pushes only the resource types whose content changed. This class
// is the thin threaded shell: a queue, a condition variable and the clock.
//
// It lives in controlplane/server/ because it joins source/, objects/, translate/ and xds/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "controlplane/source/object_source.h"
#include "controlplane/translate/options.h"
#include "controlplane/translate/translate.h"
#include "controlplane/xds/snapshot_cache.h"
#include "gatehouse/v1/admin.pb.h"

namespace gatehouse::controlplane::server {

class RebuildLoop final : public source::ObjectSink {
 public:
  struct Options {
    translate::TranslateOptions translate;
    absl::Duration holdoff = absl::Milliseconds(50);
    absl::Duration max_delay = absl::Milliseconds(500);
  };

  // `cache` must outlive this object.
  RebuildLoop(Options options, xds::SnapshotCache* cache);
  ~RebuildLoop() override;

  // Starts the owner thread.
  void Start();
  // Stops the owner thread; queued changes not yet applied are dropped. Idempotent.
  void Stop();

  void OnChanges(std::vector<source::ObjectChange> changes) override;
  void OnSynced() override;

  // The Ingress reports of the last rebuild, sorted by namespace/name; thread-safe.
  std::vector<translate::IngressReport> Reports() const;
  // How many translations ran; thread-safe.
  uint64_t rebuilds() const;

 private:
  struct Synced {};
  using Change = std::variant<objects::KubeObject, objects::ObjectKey, Synced>;

  void Run();
  // Translates the store and publishes; owner thread only. When only EndpointSlices changed since
  // the last rebuild, only the endpoints of their Services' clusters are recomputed.
  void Rebuild(const objects::ObjectStore& store);
  // Notes what `change` touches before it is applied to `store`, for Rebuild's fast path.
  void NoteChange(const Change& change, const objects::ObjectStore& store);
  void LogReportChanges(const std::vector<translate::IngressReport>& reports);

  const Options options_;
  xds::SnapshotCache* const cache_;
  Counter* const translations_;
  std::thread thread_;

  // Owner thread only.
  std::optional<translate::TranslateResult> last_;  // the last full translation, kept current
  bool only_endpoint_slices_changed_ = false;
  std::set<objects::NamespacedName> touched_services_;
  std::map<std::string, std::string> logged_reports_;  // "ns/name" → what was logged
  std::vector<std::string> logged_warnings_;

  mutable absl::Mutex mutex_;
  absl::CondVar cond_;
  std::vector<Change> queue_ ABSL_GUARDED_BY(mutex_);
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<translate::IngressReport> reports_ ABSL_GUARDED_BY(mutex_);
  uint64_t rebuilds_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace gatehouse::controlplane::server
