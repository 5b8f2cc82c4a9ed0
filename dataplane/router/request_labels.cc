#include "dataplane/router/request_labels.h"

#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace gatehouse::dataplane::router {
namespace {

using Key = std::tuple<std::string, std::string, std::string, std::string>;

struct Table {
  absl::Mutex mutex;
  absl::flat_hash_map<Key, std::weak_ptr<const RequestLabels>> interned ABSL_GUARDED_BY(mutex);
};

Table& TheTable() {
  static Table* table = new Table;
  return *table;
}

// "namespace/name" → (namespace, name); a text without '/' is a name alone.
std::pair<absl::string_view, absl::string_view> SplitName(absl::string_view text) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return {"", text};
  return {text.substr(0, slash), text.substr(slash + 1)};
}

}  // namespace

std::shared_ptr<const RequestLabels> RequestLabels::Intern(absl::string_view source,
                                                           absl::string_view cluster,
                                                           absl::string_view host) {
  auto [ns, ingress] = SplitName(source);
  absl::string_view service = SplitName(cluster).second;
  service = service.substr(0, service.find(':'));
  Key key{std::string(ingress), std::string(ns), std::string(service), std::string(host)};
  Table& table = TheTable();
  absl::MutexLock lock(&table.mutex);
  std::weak_ptr<const RequestLabels>& slot = table.interned[key];
  if (std::shared_ptr<const RequestLabels> existing = slot.lock()) return existing;
  // The table keeps no label set alive; one gone leaves an empty slot, which the next call for
  // the same labels reuses, and a sweep clears when the table has doubled.
  static size_t sweep_at = 1024;
  if (table.interned.size() >= sweep_at) {
    absl::erase_if(table.interned, [](const auto& entry) { return entry.second.expired(); });
    sweep_at = std::max<size_t>(1024, table.interned.size() * 2);
  }
  auto labels = std::make_shared<const RequestLabels>(
      RequestLabels{std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key)});
  table.interned[key] = labels;
  return labels;
}

std::shared_ptr<const RequestLabels> RequestLabels::NoHost() {
  static const auto* no_host = new std::shared_ptr<const RequestLabels>(Intern("", "", ""));
  return *no_host;
}

}  // namespace gatehouse::dataplane::router
