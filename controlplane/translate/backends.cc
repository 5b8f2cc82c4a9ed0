#include "controlplane/translate/backends.h"

#include <arpa/inet.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gatehouse::controlplane::translate {
namespace {

using gatehouse::v1::Cluster;

// The name a certificate of the Service would carry, as cert-manager issues them.
std::string ServiceDnsName(const ClusterTarget& target) {
  return absl::StrCat(target.service, ".", target.ns, ".svc");
}

// What the port's appProtocol says about how to speak to it.
void ApplyAppProtocol(ClusterTarget& target) {
  const std::string& app_protocol = target.port->app_protocol();
  if (app_protocol == "kubernetes.io/h2c" || app_protocol == "grpc") {
    target.protocol = Cluster::HTTP2;
  } else if (app_protocol == "https" || app_protocol == "kubernetes.io/https") {
    gatehouse::v1::UpstreamTls& tls = target.tls.emplace();
    tls.set_server_name(ServiceDnsName(target));
  }
}

ClusterTarget MakeTarget(const BackendRef& ref, std::optional<objects::kube::ServicePort> port) {
  ClusterTarget target;
  target.ns = ref.ns;
  target.service = ref.service;
  target.port = std::move(port);
  if (target.port.has_value()) ApplyAppProtocol(target);
  return target;
}

}  // namespace

std::string ClusterName(absl::string_view ns, absl::string_view service, absl::string_view port) {
  return absl::StrCat(ns, "/", service, ":", port);
}

ResolvedBackend ResolveBackendRef(const BackendRef& ref, const objects::ObjectStore& world,
                                  ClusterTargets* clusters) {
  std::string service_name = absl::StrCat(ref.ns, "/", ref.service);
  std::string port_text = ref.port_name.empty() ? absl::StrCat(ref.port_number) : ref.port_name;
  auto service = world.services().find(objects::NamespacedName{ref.ns, ref.service});
  if (service == world.services().end()) {
    std::string cluster = ClusterName(ref.ns, ref.service, port_text);
    clusters->try_emplace(cluster, MakeTarget(ref, std::nullopt));
    return {cluster, absl::StrCat("service ", service_name, " does not exist (no endpoints)")};
  }
  const objects::kube::ServiceSpec& spec = service->second.spec();
  if (spec.type() == "ExternalName") {
    return {"", absl::StrCat("service ", service_name,
                             " is of type ExternalName, which is not supported")};
  }
  for (const objects::kube::ServicePort& port : spec.ports()) {
    bool match =
        ref.port_name.empty() ? port.port() == ref.port_number : port.name() == ref.port_name;
    if (match) {
      std::string cluster = ClusterName(ref.ns, ref.service, absl::StrCat(port.port()));
      clusters->try_emplace(cluster, MakeTarget(ref, port));
      return {cluster, ""};
    }
  }
  std::string cluster = ClusterName(ref.ns, ref.service, port_text);
  clusters->try_emplace(cluster, MakeTarget(ref, std::nullopt));
  return {cluster, ref.port_name.empty()
                       ? absl::StrCat("service ", service_name, " has no port ", ref.port_number,
                                      " (no endpoints)")
                       : absl::StrCat("service ", service_name, " has no port named \"",
                                      ref.port_name, "\" (no endpoints)")};
}

ResolvedBackend ResolveIngressBackend(const std::string& ns,
                                      const objects::kube::IngressBackend& backend,
                                      const objects::ObjectStore& world, ClusterTargets* clusters) {
  if (backend.has_resource()) {
    return {"", absl::StrCat("resource backends (", backend.resource().kind(), " ",
                             backend.resource().name(), ") are not supported")};
  }
  const objects::kube::IngressServiceBackend& service = backend.service();
  if (service.name().empty()) return {"", "the backend names no service"};
  BackendRef ref{ns, service.name(), service.port().number(), service.port().name()};
  if (ref.port_name.empty() && ref.port_number <= 0) {
    return {"", absl::StrCat("the backend service ", ns, "/", service.name(), " has no port")};
  }
  return ResolveBackendRef(ref, world, clusters);
}

ResolvedBackend ApplyUpstreamAnnotations(ResolvedBackend backend,
                                         const UpstreamAnnotations& upstream,
                                         const objects::ObjectStore& world,
                                         ClusterTargets* clusters) {
  if (backend.cluster.empty()) return backend;
  const ClusterTarget& base = clusters->at(backend.cluster);
  ClusterTarget variant = base;
  variant.protocol = upstream.protocol.value_or(base.protocol);
  bool tls = upstream.tls.value_or(base.tls.has_value());
  std::string name = backend.cluster;
  if (!tls) {
    variant.tls.reset();
  } else {
    gatehouse::v1::UpstreamTls& settings = variant.tls.emplace();
    settings.set_verify(upstream.verify);
    settings.set_server_name(upstream.server_name.empty() ? ServiceDnsName(base)
                                                          : upstream.server_name);
    if (upstream.verify && !upstream.ca_secret.empty()) {
      const std::string* ca = nullptr;
      if (!upstream.ca_secret_refused) {
        std::pair<std::string, std::string> parts = absl::StrSplit(upstream.ca_secret, '/');
        auto secret = world.secrets().find(objects::NamespacedName{parts.first, parts.second});
        if (secret != world.secrets().end()) {
          auto it = secret->second.data().find("ca.crt");
          if (it != secret->second.data().end() && !it->second.empty()) ca = &it->second;
        }
      }
      if (ca == nullptr) {
        // Failing closed: the path stays the Ingress's, answered 503 by a cluster without
        // endpoints, rather than falling to a shorter path or trusting any certificate.
        // A refused name is the tenant's text: it names nothing, here or in a cluster's name.
        std::string untrusted = absl::StrCat(
            backend.cluster,
            "~untrusted=", upstream.ca_secret_refused ? "refused" : upstream.ca_secret);
        ClusterTarget nowhere = base;
        nowhere.port.reset();
        clusters->try_emplace(untrusted, std::move(nowhere));
        if (upstream.ca_secret_refused) {
          return {untrusted,
                  "proxy-ssl-secret names no Secret this Ingress may read; the backend answers "
                  "503 rather than trusting any certificate"};
        }
        return {untrusted, absl::StrCat("proxy-ssl-secret ", upstream.ca_secret,
                                        " is not a Secret with a ca.crt; the backend answers 503 "
                                        "rather than trusting any certificate")};
      }
      settings.set_trusted_ca(*ca);
    }
  }
  if (upstream.service_upstream && base.port.has_value()) {
    auto service = world.services().find(objects::NamespacedName{base.ns, base.service});
    const std::string& ip = service->second.spec().cluster_ip();
    unsigned char parsed[sizeof(in6_addr)];
    bool usable =
        inet_pton(AF_INET, ip.c_str(), parsed) == 1 || inet_pton(AF_INET6, ip.c_str(), parsed) == 1;
    if (!usable) {
      backend.problem =
          absl::StrCat("annotation service-upstream: Service ", base.ns, "/", base.service,
                       " has no ClusterIP (headless, or not an IP address); its "
                       "endpoints are used");
    } else {
      variant.service_address = true;
    }
  }
  bool same_tls = variant.tls.has_value() == base.tls.has_value() &&
                  (!variant.tls.has_value() ||
                   variant.tls->SerializeAsString() == base.tls->SerializeAsString());
  if (variant.protocol == base.protocol && same_tls && !variant.service_address) return backend;
  if (variant.service_address) absl::StrAppend(&name, "~service");
  if (variant.protocol == base.protocol && same_tls) {
    clusters->try_emplace(name, std::move(variant));
    backend.cluster = std::move(name);
    return backend;
  }
  absl::StrAppend(&name, "~", variant.protocol == Cluster::HTTP2 ? "grpc" : "http",
                  variant.tls.has_value() ? "s" : "");
  if (variant.tls.has_value()) {
    if (variant.tls->verify()) {
      absl::StrAppend(&name, "~verify");
      if (!upstream.ca_secret.empty()) absl::StrAppend(&name, "=", upstream.ca_secret);
    }
    if (variant.tls->server_name() != ServiceDnsName(base)) {
      absl::StrAppend(&name, "~name=", variant.tls->server_name());
    }
  }
  clusters->try_emplace(name, std::move(variant));
  backend.cluster = std::move(name);
  return backend;
}

}  // namespace gatehouse::controlplane::translate
