#include "controlplane/objects/object_store.h"

#include "google/protobuf/util/message_differencer.h"

namespace gatehouse::controlplane::objects {
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

}  // namespace gatehouse::controlplane::objects
