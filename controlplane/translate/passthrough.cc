#include "controlplane/translate/passthrough.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse::controlplane::translate {

std::vector<PassthroughHost> PassthroughHostsOf(const objects::kube::Ingress& ingress,
                                                const objects::ObjectStore& world,
                                                ClusterTargets* clusters,
                                                std::vector<std::string>* reasons) {
  const std::string& ns = ingress.metadata().namespace_();
  std::vector<PassthroughHost> out;
  for (int r = 0; r < ingress.spec().rules_size(); ++r) {
    const objects::kube::IngressRule& rule = ingress.spec().rules(r);
    std::string domain = absl::AsciiStrToLower(rule.host());
    if (domain.empty() || absl::StartsWith(domain, "*.") || !IsDnsName(domain)) {
      reasons->push_back(absl::StrCat(
          "rules[", r, "]: ssl-passthrough needs an exact host, as clients name it in SNI; ",
          domain.empty() ? "this rule has none"
                         : absl::StrCat(QuoteForMessage(rule.host()), " is not one"),
          ", so it is not served"));
      continue;
    }
    const objects::kube::HTTPIngressPath* root = nullptr;
    for (int p = 0; p < rule.http().paths_size(); ++p) {
      const objects::kube::HTTPIngressPath& path = rule.http().paths(p);
      if ((path.path() == "/" || path.path().empty()) && root == nullptr) {
        root = &path;
      } else {
        reasons->push_back(absl::StrCat("rules[", r, "].paths[", p, "]: ssl-passthrough passes ",
                                        "the \"/\" path's backend through, alone; path ",
                                        QuoteForMessage(path.path()), " is not served"));
      }
    }
    if (root == nullptr) {
      reasons->push_back(absl::StrCat("rules[", r, "]: ssl-passthrough needs a \"/\" path, whose ",
                                      "backend the connections go to; host ", domain,
                                      " is not served"));
      continue;
    }
    ResolvedBackend backend = ResolveIngressBackend(ns, root->backend(), world, clusters);
    if (!backend.problem.empty()) {
      reasons->push_back(absl::StrCat("rules[", r, "]: ", backend.problem));
    }
    if (backend.cluster.empty()) continue;
    out.push_back({std::move(domain), std::move(backend.cluster)});
  }
  return out;
}

}  // namespace gatehouse::controlplane::translate
