#include "controlplane/translate/backends.h"

#include "absl/strings/str_cat.h"

namespace gatehouse::controlplane::translate {

std::string ClusterName(absl::string_view ns, absl::string_view service, absl::string_view port) {
  return absl::StrCat(ns, "/", service, ":", port);
}

ResolvedBackend ResolveBackendRef(const BackendRef& ref, const source::ObjectStore& world,
                                  ClusterTargets* clusters) {
  std::string service_name = absl::StrCat(ref.ns, "/", ref.service);
  std::string port_text = ref.port_name.empty() ? absl::StrCat(ref.port_number) : ref.port_name;
  auto service = world.services().find(source::NamespacedName{ref.ns, ref.service});
  if (service == world.services().end()) {
    std::string cluster = ClusterName(ref.ns, ref.service, port_text);
    clusters->try_emplace(cluster, ClusterTarget{ref.ns, ref.service, std::nullopt});
    return {cluster, absl::StrCat("service ", service_name, " does not exist (no endpoints)")};
  }
  const source::kube::ServiceSpec& spec = service->second.spec();
  if (spec.type() == "ExternalName") {
    return {"", absl::StrCat("service ", service_name,
                             " is of type ExternalName, which is not supported")};
  }
  for (const source::kube::ServicePort& port : spec.ports()) {
    bool match =
        ref.port_name.empty() ? port.port() == ref.port_number : port.name() == ref.port_name;
    if (match) {
      std::string cluster = ClusterName(ref.ns, ref.service, absl::StrCat(port.port()));
      clusters->try_emplace(cluster, ClusterTarget{ref.ns, ref.service, port});
      return {cluster, ""};
    }
  }
  std::string cluster = ClusterName(ref.ns, ref.service, port_text);
  clusters->try_emplace(cluster, ClusterTarget{ref.ns, ref.service, std::nullopt});
  return {cluster, ref.port_name.empty()
                       ? absl::StrCat("service ", service_name, " has no port ", ref.port_number,
                                      " (no endpoints)")
                       : absl::StrCat("service ", service_name, " has no port named \"",
                                      ref.port_name, "\" (no endpoints)")};
}

ResolvedBackend ResolveIngressBackend(const std::string& ns,
                                      const source::kube::IngressBackend& backend,
                                      const source::ObjectStore& world, ClusterTargets* clusters) {
  if (backend.has_resource()) {
    return {"", absl::StrCat("resource backends (", backend.resource().kind(), " ",
                             backend.resource().name(), ") are not supported")};
  }
  const source::kube::IngressServiceBackend& service = backend.service();
  if (service.name().empty()) return {"", "the backend names no service"};
  BackendRef ref{ns, service.name(), service.port().number(), service.port().name()};
  if (ref.port_name.empty() && ref.port_number <= 0) {
    return {"", absl::StrCat("the backend service ", ns, "/", service.name(), " has no port")};
  }
  return ResolveBackendRef(ref, world, clusters);
}

}  // namespace gatehouse::controlplane::translate
