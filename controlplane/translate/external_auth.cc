#include "controlplane/translate/external_auth.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::controlplane::translate {

gatehouse::v1::ExternalAuth ExternalAuthFor(const std::string& ns,
                                            const std::vector<std::string>& shared_namespaces,
                                            const ExternalAuthAnnotations& auth,
                                            const objects::ObjectStore& world,
                                            ClusterTargets* clusters,
                                            std::vector<std::string>* problems) {
  gatehouse::v1::ExternalAuth out;
  if (!auth.refused.empty()) {
    // Already reported with the annotations.
    out.set_deny(true);
    return out;
  }
  constexpr absl::string_view kDenied = "every request gets 503 until it is mended";
  std::string problem;
  std::string service_ns;
  std::string service = ServiceNamed(ns, shared_namespaces, auth.url.host, world, "auth-url",
                                     kDenied, &service_ns, &problem);
  if (service.empty()) {
    problems->push_back(std::move(problem));
    out.set_deny(true);
    return out;
  }
  UpstreamAnnotations upstream;
  if (auth.url.tls) upstream.tls = true;
  ResolvedBackend backend = ApplyUpstreamAnnotations(
      ResolveBackendRef(BackendRef{service_ns, service, auth.url.port, ""}, world, clusters),
      upstream, world, clusters);
  if (backend.cluster.empty()) {
    problems->push_back(absl::StrCat("annotation auth-url: ", backend.problem, "; ", kDenied));
    out.set_deny(true);
    return out;
  }
  if (!backend.problem.empty()) {
    problems->push_back(absl::StrCat("auth-url: ", backend.problem,
                                     "; every request gets 500 until it has endpoints"));
  }
  out.set_cluster(backend.cluster);
  // The URL's host as written (an IPv6 address is no Host value: the Service's name then).
  out.set_host(absl::StrContains(auth.url.host, ':') ? service : auth.url.host);
  out.set_method(auth.method);
  out.set_target(auth.url.target);
  out.set_request_redirect(auth.request_redirect);
  for (const std::string& name : auth.response_headers) out.add_response_headers(name);
  out.set_signin(auth.signin);
  out.set_signin_param(auth.signin_param);
  out.set_timeout_ms(auth.timeout_ms);
  out.set_cache_key(auth.cache_key);
  for (const gatehouse::v1::AuthCacheRule& rule : auth.cache_rules) *out.add_cache_rules() = rule;
  return out;
}

}  // namespace gatehouse::controlplane::translate
