#include "controlplane/source/kube_source.h"

#include <map>
#include <set>
#include <type_traits>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "controlplane/source/manifest_parser.h"
#include "gatehouse/v1/kube.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gatehouse::controlplane::source {
namespace {

constexpr int kPageSize = 500;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(500);
constexpr absl::Duration kMaxBackoff = absl::Seconds(30);
constexpr absl::Duration kMaxRetryAfter = absl::Seconds(60);

// Where each kind lives in the API and what the lists and watches of it select.
struct KindApi {
  Kind kind;
  absl::string_view prefix;    // "/apis/networking.k8s.io/v1" or "/api/v1"
  absl::string_view resource;  // "ingresses"
  absl::string_view selector;  // extra query parameters, already escaped
};

constexpr KindApi kIngressApi{Kind::kIngress, "/apis/networking.k8s.io/v1", "ingresses", ""};
constexpr KindApi kIngressClassApi{Kind::kIngressClass, "/apis/networking.k8s.io/v1",
                                   "ingressclasses", ""};
constexpr KindApi kServiceApi{Kind::kService, "/api/v1", "services", ""};
// Slices managed for a Service carry its name in this label; others are of no use here.
constexpr KindApi kEndpointSliceApi{Kind::kEndpointSlice, "/apis/discovery.k8s.io/v1",
                                    "endpointslices", "labelSelector=kubernetes.io%2Fservice-name"};
constexpr KindApi kSecretApi{Kind::kSecret, "/api/v1", "secrets",
                             "fieldSelector=type%3Dkubernetes.io%2Ftls"};

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

absl::Status ParseJson(absl::string_view json, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message, options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(status.message()));
}

// Drops what changes on every write without changing what the object means for routing.
template <typename Object>
void Normalize(Object& object) {
  object.clear_api_version();
  object.clear_kind();
  object.mutable_metadata()->clear_resource_version();
  if constexpr (std::is_same_v<Object, kube::Ingress> || std::is_same_v<Object, kube::Service>) {
    object.clear_status();  // written by controllers (this one too), not by users
  }
}

// A short message for a failed exchange.
std::string Describe(const absl::StatusOr<controlplane::kube::KubeClient::Response>& response) {
  if (!response.ok()) return std::string(response.status().message());
  kube::Status status;
  if (ParseJson(response->body, &status).ok() && !status.message().empty()) {
    return absl::StrCat("HTTP ", response->status, ": ", status.message());
  }
  return absl::StrCat("HTTP ", response->status);
}

}  // namespace

class KubeSource::Watcher {
 public:
  Watcher(KubeSource* source, const KindApi& api) : source_(source), api_(api) {}
  virtual ~Watcher() = default;

  void Run() {
    while (!source_->stop_.HasBeenNotified()) {
      if (resource_version_.empty() && !List()) continue;
      Watch();
    }
  }

 protected:
  // Reads one page of a list: its objects into `objects`, its metadata into `meta`.
  virtual absl::Status ParseList(absl::string_view json, std::vector<KubeObject>* objects,
                                 kube::ListMeta* meta) = 0;
  // Reads one watch event: its type, its object (for ADDED, MODIFIED, DELETED) and the
  // resourceVersion it carries.
  virtual absl::Status ParseEvent(absl::string_view json, std::string* type, KubeObject* object,
                                  std::string* resource_version) = 0;

  std::string Collection() const {
    const std::string& ns = source_->options_.watch_namespace;
    if (ns.empty() || !IsNamespaced(api_.kind)) return absl::StrCat(api_.prefix, "/", api_.resource);
    return absl::StrCat(api_.prefix, "/namespaces/", ns, "/", api_.resource);
  }

 private:
  std::string Query(absl::string_view parameters) const {
    std::string query = absl::StrCat("?", parameters);
    if (!api_.selector.empty()) absl::StrAppend(&query, "&", api_.selector);
    return query;
  }

  // Lists every page; delivers the result and returns true, or backs off and returns false.
  bool List() {
    std::vector<KubeObject> objects;
    std::string continue_token;
    kube::ListMeta meta;
    while (true) {
      std::string path = absl::StrCat(Collection(), Query(absl::StrCat("limit=", kPageSize)));
      if (!continue_token.empty()) {
        absl::StrAppend(&path, "&continue=", PercentEncode(continue_token));
      }
      absl::StatusOr<controlplane::kube::KubeClient::Response> response =
          source_->client_.Request("GET", path, {}, "application/json", &source_->stop_);
      if (source_->stop_.HasBeenNotified()) return false;
      if (response.ok() && response->status == 410 && !continue_token.empty()) {
        // The snapshot the pages came from is gone: start the list over, from the first page.
        LOG_INFO("list of ", api_.resource, ": the continue token expired; listing again");
        objects.clear();
        continue_token.clear();
        continue;
      }
      if (!response.ok() || response->status != 200) {
        Fail(absl::StrCat("cannot list ", api_.resource, ": ", Describe(response)),
             response.ok() ? response->retry_after : absl::ZeroDuration());
        return false;
      }
      meta.Clear();
      if (absl::Status parsed = ParseList(response->body, &objects, &meta); !parsed.ok()) {
        Fail(absl::StrCat("cannot read the list of ", api_.resource, ": ", parsed.message()),
             absl::ZeroDuration());
        return false;
      }
      continue_token = meta.continue_();
      if (continue_token.empty()) break;
    }

    // One batch: everything listed, and deletes for what was known and is gone.
    std::vector<ObjectChange> changes;
    std::set<ObjectKey> listed;
    for (KubeObject& object : objects) {
      ObjectKey key = KeyOf(object);
      if (!Accept(key, object)) continue;
      listed.insert(key);
      changes.emplace_back(std::move(object));
    }
    for (const ObjectKey& key : known_) {
      if (listed.count(key) == 0) changes.emplace_back(key);
    }
    known_ = std::move(listed);
    resource_version_ = meta.resource_version();
    LOG_INFO("listed ", known_.size(), " ", api_.resource, " at resourceVersion ",
             resource_version_);
    source_->sink_->OnChanges(std::move(changes));
    Succeeded();
    if (!listed_once_) {
      listed_once_ = true;
      source_->KindListed();
    }
    return true;
  }

  void Watch() {
    // A random length, as client-go's reflectors pick, so watches do not all end together.
    int timeout_seconds = absl::Uniform(random_, 300, 600);
    std::string path = absl::StrCat(
        Collection(), Query(absl::StrCat("watch=1&allowWatchBookmarks=true&resourceVersion=",
                                         PercentEncode(resource_version_),
                                         "&timeoutSeconds=", timeout_seconds)));
    bool expired = false;
    int events = 0;
    const absl::Time started = absl::Now();
    absl::StatusOr<controlplane::kube::KubeClient::Response> response = source_->client_.Stream(
        path,
        [&](absl::string_view json) {
          // An ERROR's object is a Status, not the kind's own: the type says how to read it.
          kube::WatchEventType event_type;
          if (ParseJson(json, &event_type).ok() && event_type.type() == "ERROR") {
            ++events;
            kube::StatusEvent error;
            (void)ParseJson(json, &error);
            if (error.object().code() == 410) {
              expired = true;
            } else {
              LOG_WARNING("watch of ", api_.resource, ": ", error.object().message());
            }
            return;
          }
          std::string type;
          KubeObject object;
          std::string version;
          if (absl::Status parsed = ParseEvent(json, &type, &object, &version); !parsed.ok()) {
            LOG_WARNING("watch of ", api_.resource, ": an event could not be read: ",
                        parsed.message());
            return;
          }
          ++events;
          if (!version.empty()) resource_version_ = version;
          if (type == "BOOKMARK") return;
          ObjectKey key = KeyOf(object);
          if (type == "DELETED") {
            known_.erase(key);
            source_->SetError(key.ToString(), "");
            source_->sink_->OnDelete(key);
          } else if (type == "ADDED" || type == "MODIFIED") {
            if (!Accept(key, object)) return;
            known_.insert(key);
            source_->sink_->OnUpsert(object);
          }
        },
        source_->stop_, absl::Seconds(timeout_seconds + 30));
    if (source_->stop_.HasBeenNotified()) return;
    if (expired || (response.ok() && response->status == 410)) {
      LOG_INFO("watch of ", api_.resource, ": resourceVersion ", resource_version_,
               " is too old (410); listing again");
      resource_version_.clear();
      return;
    }
    if (!response.ok() || response->status != 200) {
      Fail(absl::StrCat("cannot watch ", api_.resource, ": ", Describe(response)),
           response.ok() ? response->retry_after : absl::ZeroDuration());
      return;
    }
    // A clean end: watch again from the last version. One that ended at once, empty, waits a
    // little first, so a server closing every watch is not hammered.
    if (events == 0 && absl::Now() - started < absl::Seconds(1)) {
      Fail(absl::StrCat("watch of ", api_.resource, " ended at once"), absl::ZeroDuration());
    } else {
      Succeeded();
    }
  }

  // Checks an object the API server sent; a bad one is reported and left out.
  bool Accept(const ObjectKey& key, const KubeObject& object) {
    if (absl::Status valid = ValidateObject(object); !valid.ok()) {
      source_->SetError(key.ToString(), std::string(valid.message()));
      return false;
    }
    source_->SetError(key.ToString(), "");
    return true;
  }

  void Fail(std::string message, absl::Duration retry_after) {
    backoff_ = backoff_ == absl::ZeroDuration() ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
    // Full jitter around the backoff, unless the server said how long to wait.
    absl::Duration wait = retry_after > absl::ZeroDuration()
                              ? std::min(retry_after, kMaxRetryAfter)
                              : backoff_ * absl::Uniform(random_, 0.5, 1.5);
    LOG_WARNING(message, "; retrying in ",
                absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1))));
    source_->SetError(absl::StrCat("kubernetes ", api_.resource), std::move(message));
    source_->stop_.WaitForNotificationWithTimeout(wait);
  }

  void Succeeded() {
    backoff_ = absl::ZeroDuration();
    source_->SetError(absl::StrCat("kubernetes ", api_.resource), "");
  }

  KubeSource* const source_;
  const KindApi api_;
  std::string resource_version_;  // empty: list first
  std::set<ObjectKey> known_;  // what the sink was given
  bool listed_once_ = false;
  absl::Duration backoff_ = absl::ZeroDuration();
  absl::BitGen random_;
};

namespace {

template <typename Object, typename ObjectList, typename ObjectEvent>
class TypedWatcher : public KubeSource::Watcher {
 public:
  using Watcher::Watcher;

 protected:
  absl::Status ParseList(absl::string_view json, std::vector<KubeObject>* objects,
                         kube::ListMeta* meta) override {
    ObjectList list;
    if (absl::Status parsed = ParseJson(json, &list); !parsed.ok()) return parsed;
    for (Object& item : *list.mutable_items()) {
      Normalize(item);
      objects->emplace_back(std::move(item));
    }
    *meta = list.metadata();
    return absl::OkStatus();
  }

  absl::Status ParseEvent(absl::string_view json, std::string* type, KubeObject* object,
                          std::string* resource_version) override {
    ObjectEvent event;
    if (absl::Status parsed = ParseJson(json, &event); !parsed.ok()) return parsed;
    *type = event.type();
    *resource_version = event.object().metadata().resource_version();
    Normalize(*event.mutable_object());
    *object = std::move(*event.mutable_object());
    return absl::OkStatus();
  }
};

}  // namespace

KubeSource::KubeSource(Options options)
    : options_(std::move(options)), client_(options_.connection) {}

KubeSource::~KubeSource() { Stop(); }

absl::Status KubeSource::Start(ObjectSink* sink) {
  if (sink_ != nullptr) return absl::FailedPreconditionError("the source is already started");
  sink_ = sink;
  watchers_.push_back(
      std::make_unique<TypedWatcher<kube::IngressClass, kube::IngressClassList,
                                    kube::IngressClassEvent>>(this, kIngressClassApi));
  watchers_.push_back(
      std::make_unique<TypedWatcher<kube::Ingress, kube::IngressList, kube::IngressEvent>>(
          this, kIngressApi));
  watchers_.push_back(
      std::make_unique<TypedWatcher<kube::Service, kube::ServiceList, kube::ServiceEvent>>(
          this, kServiceApi));
  watchers_.push_back(std::make_unique<TypedWatcher<kube::EndpointSlice, kube::EndpointSliceList,
                                                    kube::EndpointSliceEvent>>(
      this, kEndpointSliceApi));
  watchers_.push_back(
      std::make_unique<TypedWatcher<kube::Secret, kube::SecretList, kube::SecretEvent>>(
          this, kSecretApi));
  unlisted_kinds_ = static_cast<int>(watchers_.size());
  for (auto& watcher : watchers_) {
    threads_.emplace_back([raw = watcher.get()] { raw->Run(); });
  }
  return absl::OkStatus();
}

void KubeSource::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void KubeSource::KindListed() {
  if (--unlisted_kinds_ == 0) {
    LOG_INFO("every kind listed: the world is complete");
    sink_->OnSynced();
  }
}

void KubeSource::SetError(const std::string& object, std::string message) {
  absl::MutexLock lock(&mutex_);
  if (message.empty()) {
    errors_.erase(object);
  } else {
    errors_[object] = std::move(message);
  }
}

std::vector<gatehouse::v1::SourceError> KubeSource::Errors() const {
  absl::MutexLock lock(&mutex_);
  std::vector<gatehouse::v1::SourceError> out;
  for (const auto& [object, message] : errors_) {
    gatehouse::v1::SourceError& error = out.emplace_back();
    error.set_file(options_.connection.server);
    error.set_object(object);
    error.set_message(message);
  }
  return out;
}

}  // namespace gatehouse::controlplane::source
