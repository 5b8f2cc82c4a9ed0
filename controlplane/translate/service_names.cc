#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/cidr.h"
#include "controlplane/translate/backends.h"
#include "controlplane/translate/options.h"

namespace gatehouse::controlplane::translate {

std::string ServiceNamed(const std::string& ns, const std::string& host,
                         const objects::ObjectStore& world, absl::string_view annotation,
                         absl::string_view consequence, std::string* problem) {
  if (IsIpAddress(host)) {
    for (const auto& [name, service] : world.services()) {
      if (name.ns == ns && service.spec().cluster_ip() == host) return name.name;
    }
    *problem = absl::StrCat("annotation ", annotation, ": ", host,
                            " is the ClusterIP of no Service of namespace ", ns, "; ", consequence);
    return "";
  }
  std::vector<absl::string_view> labels = absl::StrSplit(host, '.');
  bool dns_form = IsDnsLabel(labels[0]) && (labels.size() == 1 || labels.size() == 2 ||
                                            (labels.size() >= 3 && labels[2] == "svc"));
  if (!dns_form) {
    *problem = absl::StrCat(
        "annotation ", annotation, ": ", host, " is not a Service of namespace ", ns,
        " (name, name.namespace or name.namespace.svc.cluster.local, or its ClusterIP): the "
        "data plane resolves no DNS names; ",
        consequence);
    return "";
  }
  if (labels.size() >= 2 && labels[1] != ns) {
    *problem = absl::StrCat("annotation ", annotation, ": ", host,
                            " names a Service of another namespace; an Ingress reaches only "
                            "Services of its own; ",
                            consequence);
    return "";
  }
  return std::string(labels[0]);
}

}  // namespace gatehouse::controlplane::translate
