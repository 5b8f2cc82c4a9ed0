// gatehousectl migrate-check: the control plane's own translation, run offline on manifests (a
// folder like the folder source's, one file, or `kubectl get ingress -A -o yaml` on stdin), to
// tell a team moving from ingress-nginx what Gatehouse would do with each of its Ingresses and
// each annotation on them, before anything is deployed.
#pragma once

#include <string>

namespace gatehouse::gatehousectl {

struct MigrateCheckResult {
  std::string out;  // the report of each Ingress, then the summary
  std::string err;  // what could not be read
  // 0: every annotation is applied (perhaps with a documented difference) or not needed;
  // 1: some annotation would not be applied; 2: the input could not be read.
  int exit_code = 0;
};

// `target`: a file, a folder (its .yaml, .yml and .json files, recursively) or "-" (stdin).
// `ingress_class`: when not empty, only Ingresses of that class (ingressClassName, or the
// kubernetes.io/ingress.class annotation) are checked; otherwise every Ingress is.
MigrateCheckResult RunMigrateCheck(const std::string& target, const std::string& ingress_class);

}  // namespace gatehouse::gatehousectl
