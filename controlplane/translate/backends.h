// Ingress backends to clusters: which Service port a backend means and the cluster serving it.
//
// A cluster is named "namespace/service:port" with the Service port's number (a port given by
// name is resolved through the Service). A missing Service or port still yields a cluster, with
// no endpoints, so its routes answer 503 as ingress-nginx does; `resource` backends and
// ExternalName Services cannot be served at all and yield no cluster.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/options.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

// The Service port a cluster sends to; `port` is absent when the Service or its port is missing.
// How it is spoken to comes from the port's appProtocol (kubernetes.io/h2c or grpc: HTTP/2
// cleartext; https: HTTP/1.1 over TLS), or from the Ingress annotations of a variant cluster.
struct ClusterTarget {
  std::string ns;
  std::string service;
  std::optional<objects::kube::ServicePort> port;
  gatehouse::v1::Cluster::Protocol protocol = gatehouse::v1::Cluster::HTTP1;
  std::optional<gatehouse::v1::UpstreamTls> tls;
  // service-upstream: the one endpoint is the Service's ClusterIP and port, not its pods.
  bool service_address = false;
};

using ClusterTargets = std::map<std::string, ClusterTarget>;  // by cluster name

struct ResolvedBackend {
  std::string cluster;  // empty when the backend cannot be served at all
  std::string problem;  // why it is not fully usable; empty when it is
};

// "namespace/service:port".
std::string ClusterName(absl::string_view ns, absl::string_view service, absl::string_view port);

// Resolves a Service port reference, adding the cluster it needs to `clusters`.
ResolvedBackend ResolveBackendRef(const BackendRef& ref, const objects::ObjectStore& world,
                                  ClusterTargets* clusters);

// Resolves the backend of an Ingress in namespace `ns`, adding the cluster it needs to `clusters`.
ResolvedBackend ResolveIngressBackend(const std::string& ns,
                                      const objects::kube::IngressBackend& backend,
                                      const objects::ObjectStore& world, ClusterTargets* clusters);

// The cluster `backend` needs when an Ingress's annotations choose how to reach it: the same one
// when they change nothing, else a variant named after what differs
// ("ns/service:port~grpcs~verify=ns/ca"), added to `clusters`. A CA Secret that cannot be used
// leaves no cluster (a backend that would trust nothing is not served), and says why.
ResolvedBackend ApplyUpstreamAnnotations(ResolvedBackend backend,
                                         const UpstreamAnnotations& upstream,
                                         const objects::ObjectStore& world,
                                         ClusterTargets* clusters);

// The Service `host` names for an Ingress in `ns` (an annotation's URL: mirror-target,
// auth-url): "name", "name.NS", "name.NS.svc" or "name.NS.svc.<cluster domain>", or the
// ClusterIP of a Service, where NS is `ns` or one of `shared` (namespaces the operator opened
// to every Ingress); its namespace goes to `service_ns`. Empty when it names none there, with
// `problem` saying so as "annotation ANNOTATION: ...; CONSEQUENCE".
std::string ServiceNamed(const std::string& ns, const std::vector<std::string>& shared,
                         const std::string& host, const objects::ObjectStore& world,
                         absl::string_view annotation, absl::string_view consequence,
                         std::string* service_ns, std::string* problem);

}  // namespace gatehouse::controlplane::translate
