#include "controlplane/translate/mirror.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/cidr.h"
#include "common/request_mirror.h"
#include "controlplane/translate/options.h"

namespace gatehouse::controlplane::translate {
namespace {

// The Service `host` names for an Ingress in `ns`: "name", "name.ns", "name.ns.svc" or
// "name.ns.svc.<cluster domain>", or the ClusterIP of a Service of `ns`. Empty, with `problem`,
// when it names none there.
std::string ServiceNamed(const std::string& ns, const std::string& host,
                         const objects::ObjectStore& world, std::string* problem) {
  if (IsIpAddress(host)) {
    for (const auto& [name, service] : world.services()) {
      if (name.ns == ns && service.spec().cluster_ip() == host) return name.name;
    }
    *problem = absl::StrCat("annotation mirror-target: ", host,
                            " is the ClusterIP of no Service of namespace ", ns,
                            "; requests are not mirrored");
    return "";
  }
  std::vector<absl::string_view> labels = absl::StrSplit(host, '.');
  bool dns_form = IsDnsLabel(labels[0]) && (labels.size() == 1 || labels.size() == 2 ||
                                            (labels.size() >= 3 && labels[2] == "svc"));
  if (!dns_form) {
    *problem = absl::StrCat(
        "annotation mirror-target: ", host, " is not a Service of namespace ", ns,
        " (name, name.namespace or name.namespace.svc.cluster.local, or its ClusterIP): the "
        "data plane resolves no DNS names; requests are not mirrored");
    return "";
  }
  if (labels.size() >= 2 && labels[1] != ns) {
    *problem = absl::StrCat("annotation mirror-target: ", host,
                            " names a Service of another namespace; an Ingress mirrors only to "
                            "Services of its own; requests are not mirrored");
    return "";
  }
  return std::string(labels[0]);
}

}  // namespace

std::optional<gatehouse::v1::RequestMirror> MirrorFor(const std::string& ns,
                                                      const MirrorAnnotations& mirror,
                                                      const objects::ObjectStore& world,
                                                      ClusterTargets* clusters,
                                                      std::string* problem) {
  std::string service = ServiceNamed(ns, mirror.host, world, problem);
  if (service.empty()) return std::nullopt;
  UpstreamAnnotations upstream;
  if (mirror.tls) upstream.tls = true;  // not verified, as nginx's proxy_ssl_verify off
  ResolvedBackend backend = ApplyUpstreamAnnotations(
      ResolveBackendRef(BackendRef{ns, service, mirror.port, ""}, world, clusters), upstream, world,
      clusters);
  if (backend.cluster.empty()) {
    *problem =
        absl::StrCat("annotation mirror-target: ", backend.problem, "; requests are not mirrored");
    return std::nullopt;
  }
  if (!backend.problem.empty()) {
    *problem = absl::StrCat("mirror: ", backend.problem, "; no copies are sent until it has");
  }
  gatehouse::v1::RequestMirror out;
  out.set_cluster(backend.cluster);
  out.set_target(mirror.target);
  out.set_host(mirror.host_header);
  out.set_with_body(mirror.with_body);
  // Checked as a data plane compiles it.
  if (absl::Status usable = CompileMirror(out).status(); !usable.ok()) {
    *problem =
        absl::StrCat("annotation mirror-target: ", usable.message(), "; requests are not mirrored");
    return std::nullopt;
  }
  return out;
}

}  // namespace gatehouse::controlplane::translate
