#include "controlplane/translate/mirror.h"

#include "absl/strings/str_cat.h"
#include "common/request_mirror.h"
#include "controlplane/translate/options.h"

namespace gatehouse::controlplane::translate {
std::optional<gatehouse::v1::RequestMirror> MirrorFor(const std::string& ns,
                                                      const MirrorAnnotations& mirror,
                                                      const objects::ObjectStore& world,
                                                      ClusterTargets* clusters,
                                                      std::string* problem) {
  std::string service_ns;
  std::string service = ServiceNamed(ns, {}, mirror.host, world, "mirror-target",
                                     "requests are not mirrored", &service_ns, problem);
  if (service.empty()) return std::nullopt;
  UpstreamAnnotations upstream;
  if (mirror.tls) upstream.tls = true;  // not verified, as nginx's proxy_ssl_verify off
  ResolvedBackend backend = ApplyUpstreamAnnotations(
      ResolveBackendRef(BackendRef{service_ns, service, mirror.port, ""}, world, clusters),
      upstream, world, clusters);
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
