#include "controlplane/server/rebuild_loop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/resource_types.h"
#include "controlplane/server/debouncer.h"
#include "controlplane/translate/endpoints.h"
#include "controlplane/translate/translate.h"

namespace gatehouse::controlplane::server {

using translate::IngressReport;

RebuildLoop::RebuildLoop(Options options, xds::SnapshotCache* cache)
    : options_(std::move(options)),
      cache_(cache),
      translations_(MetricsRegistry::Global().GetCounter(
          "gatehouse_controlplane_translations_total",
          "Translations of the Kubernetes objects into a config snapshot")) {}

RebuildLoop::~RebuildLoop() { Stop(); }

void RebuildLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void RebuildLoop::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
    cond_.Signal();
  }
  if (thread_.joinable()) thread_.join();
}

void RebuildLoop::OnChanges(std::vector<source::ObjectChange> changes) {
  absl::MutexLock lock(&mutex_);
  for (source::ObjectChange& change : changes) {
    std::visit([this](auto&& item) { queue_.emplace_back(std::move(item)); }, std::move(change));
  }
  cond_.Signal();
}

void RebuildLoop::OnSynced() {
  absl::MutexLock lock(&mutex_);
  queue_.emplace_back(Synced{});
  cond_.Signal();
}

std::vector<IngressReport> RebuildLoop::Reports() const {
  absl::MutexLock lock(&mutex_);
  return reports_;
}

uint64_t RebuildLoop::rebuilds() const {
  absl::MutexLock lock(&mutex_);
  return rebuilds_;
}

void RebuildLoop::Run() {
  objects::ObjectStore store;
  Debouncer debouncer(options_.holdoff, options_.max_delay);
  while (true) {
    std::vector<Change> changes;
    {
      absl::MutexLock lock(&mutex_);
      absl::Time wait_until = debouncer.Deadline();
      while (queue_.empty() && !stop_ && absl::Now() < wait_until) {
        cond_.WaitWithDeadline(&mutex_, wait_until);
      }
      if (stop_) return;
      changes.swap(queue_);
    }
    absl::Time now = absl::Now();
    for (Change& change : changes) {
      NoteChange(change, store);
      if (auto* object = std::get_if<objects::KubeObject>(&change)) {
        if (store.Upsert(*object)) debouncer.OnChange(now);
      } else if (auto* key = std::get_if<objects::ObjectKey>(&change)) {
        if (store.Delete(*key)) debouncer.OnChange(now);
      } else if (debouncer.OnSynced(now)) {
        LOG_INFO("source synced: ", store.size(), " objects");
      }
    }
    if (debouncer.Due(now)) {
      Rebuild(store);
      debouncer.OnRebuilt(absl::Now());
    }
  }
}

void RebuildLoop::NoteChange(const Change& change, const objects::ObjectStore& store) {
  // The Service an EndpointSlice belongs to, from its label.
  auto note_slice = [this](const objects::kube::EndpointSlice& slice) {
    auto label = slice.metadata().labels().find(std::string(translate::kServiceNameLabel));
    if (label != slice.metadata().labels().end()) {
      touched_services_.insert({slice.metadata().namespace_(), label->second});
    }
  };
  auto note_stored = [&](const objects::NamespacedName& name) {
    auto it = store.endpoint_slices().find(name);
    if (it != store.endpoint_slices().end()) note_slice(it->second);
  };
  if (const auto* object = std::get_if<objects::KubeObject>(&change)) {
    if (const auto* slice = std::get_if<objects::kube::EndpointSlice>(object)) {
      note_slice(*slice);
      note_stored({slice->metadata().namespace_(), slice->metadata().name()});  // old label
      return;
    }
  } else if (const auto* key = std::get_if<objects::ObjectKey>(&change)) {
    if (key->kind == objects::Kind::kEndpointSlice) {
      note_stored(key->name);
      return;
    }
  } else {
    return;  // the synced signal changes no object
  }
  only_endpoint_slices_changed_ = false;
}

void RebuildLoop::Rebuild(const objects::ObjectStore& store) {
  const absl::Time started = absl::Now();
  std::shared_ptr<const xds::Snapshot> current = cache_->Current();
  if (last_.has_value() && only_endpoint_slices_changed_ && current != nullptr) {
    std::vector<size_t> recomputed =
        translate::RetranslateEndpoints(store, touched_services_, &*last_);
    std::vector<google::protobuf::Any> replacements;
    for (size_t i : recomputed) {
      replacements.push_back(xds::PackDeterministic(last_->resources.load_assignments[i]));
    }
    xds::Snapshot snapshot = *current;  // shares every set; only the endpoints are replaced
    if (const xds::ResourceSet* endpoints = current->Find(kEndpointsType)) {
      snapshot.Put(xds::ReplaceResources(*endpoints, std::move(replacements)));
    }
    std::vector<std::string> changed = cache_->Publish(std::move(snapshot));
    LOG_INFO("rebuilt in ", absl::ToInt64Milliseconds(absl::Now() - started),
             " ms (translation 0 ms, endpoints only: ", touched_services_.size(), " services",
             changed.empty() ? ", no change)" : ")");
    touched_services_.clear();
    return;
  }
  only_endpoint_slices_changed_ = true;
  touched_services_.clear();
  translate::TranslateResult result = translate::Translate(store, options_.translate);
  const absl::Duration translation = absl::Now() - started;
  translations_->Increment();
  const translate::ConfigResources& resources = result.resources;
  xds::Snapshot snapshot;
  snapshot.Put(xds::MakeResourceSetOf(kClusterType, resources.clusters));
  snapshot.Put(xds::MakeResourceSetOf(kEndpointsType, resources.load_assignments));
  snapshot.Put(xds::MakeResourceSetOf(kListenerType, resources.listeners));
  snapshot.Put(xds::MakeResourceSetOf(kRouteType, resources.route_configs));
  // Reports first: whoever sees the new snapshot also sees the reports that explain it.
  LogReportChanges(result.reports);
  {
    absl::MutexLock lock(&mutex_);
    reports_ = std::move(result.reports);
    ++rebuilds_;
  }
  std::vector<std::string> changed = cache_->Publish(snapshot);
  LOG_INFO("rebuilt in ", absl::ToInt64Milliseconds(absl::Now() - started), " ms (translation ",
           absl::ToInt64Milliseconds(translation), " ms, ", store.size(), " objects)");
  for (const std::string& type : changed) {
    const xds::ResourceSet* set = snapshot.Find(type);
    if (set == nullptr) continue;
    LOG_INFO("new ", xds::ShortTypeName(type), " version ", set->version, " (",
             set->resources.size(), " resources)");
    MetricsRegistry::Global()
        .GetCounter("gatehouse_controlplane_snapshot_updates_total",
                    "New versions published, by resource type",
                    {{"type", std::string(xds::ShortTypeName(type))}})
        ->Increment();
  }
  for (const std::string& warning : result.warnings) {
    if (std::find(logged_warnings_.begin(), logged_warnings_.end(), warning) ==
        logged_warnings_.end()) {
      LOG_WARNING(warning);
    }
  }
  logged_warnings_ = result.warnings;
  last_ = std::move(result);
}

void RebuildLoop::LogReportChanges(const std::vector<IngressReport>& reports) {
  std::map<std::string, std::string> next;
  for (const IngressReport& report : reports) {
    std::string name = report.Key();
    std::string text(translate::StateName(report.state));
    if (!report.reasons.empty()) absl::StrAppend(&text, ": ", absl::StrJoin(report.reasons, "; "));
    auto old = logged_reports_.find(name);
    if (old == logged_reports_.end() || old->second != text) {
      if (report.state == IngressReport::State::kAccepted ||
          report.state == IngressReport::State::kIgnored) {
        LOG_INFO("ingress ", name, ": ", text);
      } else {
        LOG_WARNING("ingress ", name, ": ", text);
      }
    }
    next.emplace(std::move(name), std::move(text));
  }
  for (const auto& [name, text] : logged_reports_) {
    if (next.count(name) == 0) LOG_INFO("ingress ", name, ": removed");
  }
  logged_reports_ = std::move(next);
}

}  // namespace gatehouse::controlplane::server
