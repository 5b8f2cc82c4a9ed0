#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/cidr.h"
#include "controlplane/translate/backends.h"
#include "controlplane/translate/options.h"

namespace gatehouse::controlplane::translate {

std::string ServiceNamed(const std::string& ns, const std::vector<std::string>& shared,
                         const std::string& host, const objects::ObjectStore& world,
                         absl::string_view annotation, absl::string_view consequence,
                         std::string* service_ns, std::string* problem) {
  auto open_to_us = [&](absl::string_view candidate) {
    return candidate == ns || std::find(shared.begin(), shared.end(), candidate) != shared.end();
  };
  if (IsIpAddress(host)) {
    for (const auto& [name, service] : world.services()) {
      if (open_to_us(name.ns) && service.spec().cluster_ip() == host) {
        *service_ns = name.ns;
        return name.name;
      }
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
  if (labels.size() >= 2 && !open_to_us(labels[1])) {
    *problem = absl::StrCat("annotation ", annotation, ": ", host,
                            " names a Service of another namespace; an Ingress reaches only "
                            "Services of its own; ",
                            consequence);
    return "";
  }
  *service_ns = labels.size() >= 2 ? std::string(labels[1]) : ns;
  return std::string(labels[0]);
}

}  // namespace gatehouse::controlplane::translate
