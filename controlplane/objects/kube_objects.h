// The typed Kubernetes objects the control plane reads (its object model), and their keys.
//
// A source delivers `KubeObject`s (one of the kube.proto messages) and deletes by `ObjectKey`;
// `ObjectStore` is the in-memory world those deliveries build up, kept in typed, sorted maps so
// the translation can iterate it deterministically and look objects up by namespace and name.
#pragma once

#include <map>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "gatehouse/v1/kube.pb.h"

namespace gatehouse::controlplane::objects {

namespace kube = ::gatehouse::v1::kube;

// The kinds the control plane watches; the order matches the alternatives of KubeObject.
enum class Kind { kIngress = 0, kIngressClass, kService, kEndpointSlice, kSecret };

// The Kubernetes name of a kind: "Ingress", "EndpointSlice", ...
absl::string_view KindName(Kind kind);

// True for kinds that live in a namespace (all but IngressClass).
bool IsNamespaced(Kind kind);

// namespace/name; `ns` is empty for cluster-scoped objects.
struct NamespacedName {
  std::string ns;
  std::string name;

  // "ns/name", or "name" when cluster-scoped.
  std::string ToString() const;
  bool operator<(const NamespacedName& o) const { return ns != o.ns ? ns < o.ns : name < o.name; }
  bool operator==(const NamespacedName& o) const { return ns == o.ns && name == o.name; }
};

struct ObjectKey {
  Kind kind = Kind::kIngress;
  NamespacedName name;

  // "Ingress default/web", the form errors and logs use.
  std::string ToString() const;
  bool operator<(const ObjectKey& o) const {
    return kind != o.kind ? kind < o.kind : name < o.name;
  }
  bool operator==(const ObjectKey& o) const { return kind == o.kind && name == o.name; }
};

using KubeObject = std::variant<kube::Ingress, kube::IngressClass, kube::Service,
                                kube::EndpointSlice, kube::Secret>;

// The key of an object, from its kind and metadata.
ObjectKey KeyOf(const KubeObject& object);

// True when both objects have identical content.
bool SameContent(const KubeObject& a, const KubeObject& b);

}  // namespace gatehouse::controlplane::objects
