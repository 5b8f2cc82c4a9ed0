#include "controlplane/xds/snapshot_cache.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "common/resource_types.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace gatehouse::controlplane::xds {
namespace {

// The first 8 bytes of SHA-256 as 16 hex digits: short in logs, and collisions are not a concern.
constexpr size_t kVersionBytes = 8;

void AddLengthPrefixed(EVP_MD_CTX* ctx, absl::string_view data) {
  uint64_t size = data.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(size >> (8 * i));
  EVP_DigestUpdate(ctx, prefix, sizeof(prefix));
  EVP_DigestUpdate(ctx, data.data(), data.size());
}

}  // namespace

absl::string_view ShortTypeName(absl::string_view type_url) {
  if (type_url == kClusterType) return "clusters";
  if (type_url == kEndpointsType) return "endpoints";
  if (type_url == kListenerType) return "listeners";
  if (type_url == kRouteType) return "routes";
  return type_url;
}

google::protobuf::Any PackDeterministic(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/" + message.GetDescriptor()->full_name());
  any.set_value(std::move(bytes));
  return any;
}

namespace {

// SHA-256 over length-prefixed parts; the first `bytes` bytes of the digest.
class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Digest() { EVP_MD_CTX_free(ctx_); }
  void Add(absl::string_view data) { AddLengthPrefixed(ctx_, data); }
  std::string Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, digest, &size);
    return std::string(reinterpret_cast<const char*>(digest), kVersionBytes);
  }

 private:
  EVP_MD_CTX* ctx_;
};

uint64_t ResourceDigest(const google::protobuf::Any& resource) {
  Digest digest;
  digest.Add(resource.type_url());
  digest.Add(resource.value());
  std::string bytes = digest.Finish();
  uint64_t value = 0;
  for (unsigned char byte : bytes) value = (value << 8) | byte;
  return value;
}

}  // namespace

std::string ContentVersion(absl::string_view type_url, const ContentMap& content) {
  Digest digest;
  digest.Add(type_url);
  for (const auto& [name, resource_digest] : content) {
    digest.Add(name);
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(resource_digest >> (8 * i));
    digest.Add(absl::string_view(bytes, sizeof(bytes)));
  }
  return absl::BytesToHexString(digest.Finish());
}

ResourceSet MakeResourceSet(absl::string_view type_url,
                            std::vector<google::protobuf::Any> resources) {
  std::vector<std::pair<std::string, size_t>> order;
  order.reserve(resources.size());
  for (size_t i = 0; i < resources.size(); ++i) {
    absl::StatusOr<std::string> name = ResourceName(resources[i]);
    order.emplace_back(name.ok() ? *name : std::string(), i);
  }
  std::sort(order.begin(), order.end());
  ResourceSet set;
  set.type_url = std::string(type_url);
  for (auto& [name, index] : order) {
    set.content.emplace_hint(set.content.end(), name, ResourceDigest(resources[index]));
    set.names.push_back(std::move(name));
    set.resources.push_back(std::move(resources[index]));
  }
  set.version = ContentVersion(type_url, set.content);
  return set;
}

ResourceSet ReplaceResources(const ResourceSet& set,
                             std::vector<google::protobuf::Any> replacements) {
  std::map<std::string, google::protobuf::Any> by_name;
  for (google::protobuf::Any& resource : replacements) {
    absl::StatusOr<std::string> name = ResourceName(resource);
    by_name[name.ok() ? *name : std::string()] = std::move(resource);
  }
  ResourceSet out;
  out.type_url = set.type_url;
  out.content = set.content;
  out.names = set.names;
  out.resources = set.resources;
  for (size_t i = 0; i < out.names.size(); ++i) {
    auto it = by_name.find(out.names[i]);
    if (it == by_name.end()) continue;
    out.content[out.names[i]] = ResourceDigest(it->second);
    out.resources[i] = std::move(it->second);
    by_name.erase(it);
  }
  if (!by_name.empty()) {
    // New names: rebuild the sorted vectors from scratch (rare: endpoints of a new cluster).
    std::vector<google::protobuf::Any> all = std::move(out.resources);
    for (auto& [name, resource] : by_name) all.push_back(std::move(resource));
    return MakeResourceSet(set.type_url, std::move(all));
  }
  out.version = ContentVersion(out.type_url, out.content);
  return out;
}

void Snapshot::Put(ResourceSet set) {
  auto shared = std::make_shared<const ResourceSet>(std::move(set));
  for (std::shared_ptr<const ResourceSet>& existing : sets) {
    if (existing->type_url == shared->type_url) {
      existing = std::move(shared);
      return;
    }
  }
  sets.push_back(std::move(shared));
}

const ResourceSet* Snapshot::Find(absl::string_view type_url) const {
  for (const std::shared_ptr<const ResourceSet>& set : sets) {
    if (set->type_url == type_url) return set.get();
  }
  return nullptr;
}

std::vector<std::string> SnapshotCache::Publish(Snapshot snapshot) {
  std::vector<std::string> changed;
  {
    absl::MutexLock lock(&mutex_);
    for (const std::shared_ptr<const ResourceSet>& set : snapshot.sets) {
      const ResourceSet* old = current_ == nullptr ? nullptr : current_->Find(set->type_url);
      if (old == nullptr || old->version != set->version) changed.push_back(set->type_url);
    }
    if (current_ != nullptr) {
      for (const std::shared_ptr<const ResourceSet>& old : current_->sets) {
        if (snapshot.Find(old->type_url) == nullptr) changed.push_back(old->type_url);
      }
    }
    if (changed.empty() && current_ != nullptr) return changed;
    current_ = std::make_shared<const Snapshot>(std::move(snapshot));
    ++generation_;
  }
  absl::MutexLock lock(&watchers_mutex_);
  for (auto& [id, watcher] : watchers_) watcher();
  return changed;
}

std::shared_ptr<const Snapshot> SnapshotCache::Current() const {
  absl::MutexLock lock(&mutex_);
  return current_;
}

uint64_t SnapshotCache::generation() const {
  absl::MutexLock lock(&mutex_);
  return generation_;
}

int SnapshotCache::AddWatcher(Watcher watcher) {
  absl::MutexLock lock(&watchers_mutex_);
  int id = next_watcher_id_++;
  watchers_.emplace(id, std::move(watcher));
  return id;
}

void SnapshotCache::RemoveWatcher(int id) {
  absl::MutexLock lock(&watchers_mutex_);
  watchers_.erase(id);
}

}  // namespace gatehouse::controlplane::xds
