#include "controlplane/objects/kube_objects.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"

namespace gatehouse::controlplane::objects {
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

}  // namespace gatehouse::controlplane::objects
