#include "controlplane/source/kube_objects.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"

namespace gatehouse::controlplane::source {
namespace {

template <typename Message>
bool UpsertInto(std::map<NamespacedName, Message>& map, const NamespacedName& name,
                const Message& object) {
  auto it = map.find(name);
  if (it != map.end()) {
    if (google::protobuf::util::MessageDifferencer::Equals(it->second, object)) return false;
    it->second = object;
    return true;
  }
  map.emplace(name, object);
  return true;
}

}  // namespace

absl::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kIngress:
      return "Ingress";
    case Kind::kIngressClass:
      return "IngressClass";
    case Kind::kService:
      return "Service";
    case Kind::kEndpointSlice:
      return "EndpointSlice";
    case Kind::kSecret:
      return "Secret";
  }
  return "Unknown";
}

bool IsNamespaced(Kind kind) { return kind != Kind::kIngressClass; }

std::string NamespacedName::ToString() const {
  return ns.empty() ? name : absl::StrCat(ns, "/", name);
}

std::string ObjectKey::ToString() const {
  return absl::StrCat(KindName(kind), " ", name.ToString());
}

ObjectKey KeyOf(const KubeObject& object) {
  return std::visit(
      [&object](const auto& message) {
        return ObjectKey{static_cast<Kind>(object.index()),
                         {message.metadata().namespace_(), message.metadata().name()}};
      },
      object);
}

bool SameContent(const KubeObject& a, const KubeObject& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& message) {
        using Message = std::decay_t<decltype(message)>;
        return google::protobuf::util::MessageDifferencer::Equals(message, std::get<Message>(b));
      },
      a);
}

bool ObjectStore::Upsert(const KubeObject& object) {
  NamespacedName name = KeyOf(object).name;
  switch (static_cast<Kind>(object.index())) {
    case Kind::kIngress:
      return UpsertInto(ingresses_, name, std::get<kube::Ingress>(object));
    case Kind::kIngressClass:
      return UpsertInto(ingress_classes_, name, std::get<kube::IngressClass>(object));
    case Kind::kService:
      return UpsertInto(services_, name, std::get<kube::Service>(object));
    case Kind::kEndpointSlice:
      return UpsertInto(endpoint_slices_, name, std::get<kube::EndpointSlice>(object));
    case Kind::kSecret:
      return UpsertInto(secrets_, name, std::get<kube::Secret>(object));
  }
  return false;
}

bool ObjectStore::Delete(const ObjectKey& key) {
  switch (key.kind) {
    case Kind::kIngress:
      return ingresses_.erase(key.name) > 0;
    case Kind::kIngressClass:
      return ingress_classes_.erase(key.name) > 0;
    case Kind::kService:
      return services_.erase(key.name) > 0;
    case Kind::kEndpointSlice:
      return endpoint_slices_.erase(key.name) > 0;
    case Kind::kSecret:
      return secrets_.erase(key.name) > 0;
  }
  return false;
}

size_t ObjectStore::size() const {
  return ingresses_.size() + ingress_classes_.size() + services_.size() + endpoint_slices_.size() +
         secrets_.size();
}

}  // namespace gatehouse::controlplane::source
