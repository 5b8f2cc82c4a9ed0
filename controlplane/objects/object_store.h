// The in-memory world the sources' deliveries build up: every object, by kind, in typed maps
// sorted by namespace/name, so the translation iterates it deterministically and looks objects
// up by namespace and name. Owned and touched by one thread (the rebuild loop's).
#pragma once

#include <map>

#include "controlplane/objects/kube_objects.h"

namespace gatehouse::controlplane::objects {

// Every object of the world, by kind, sorted by namespace/name.
class ObjectStore {
 public:
  // Inserts or replaces; returns false when an identical object was already stored.
  bool Upsert(const KubeObject& object);
  // Removes; returns false when there was no such object.
  bool Delete(const ObjectKey& key);
  size_t size() const;

  const std::map<NamespacedName, kube::Ingress>& ingresses() const { return ingresses_; }
  const std::map<NamespacedName, kube::IngressClass>& ingress_classes() const {
    return ingress_classes_;
  }
  const std::map<NamespacedName, kube::Service>& services() const { return services_; }
  const std::map<NamespacedName, kube::EndpointSlice>& endpoint_slices() const {
    return endpoint_slices_;
  }
  const std::map<NamespacedName, kube::Secret>& secrets() const { return secrets_; }

 private:
  std::map<NamespacedName, kube::Ingress> ingresses_;
  std::map<NamespacedName, kube::IngressClass> ingress_classes_;
  std::map<NamespacedName, kube::Service> services_;
  std::map<NamespacedName, kube::EndpointSlice> endpoint_slices_;
  std::map<NamespacedName, kube::Secret> secrets_;
};

}  // namespace gatehouse::controlplane::objects
