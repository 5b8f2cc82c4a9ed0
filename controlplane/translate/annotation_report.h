// The migration report of one Ingress: a status and a reason for every annotation it carries
// under gatehouse.dev/ and nginx.ingress.kubernetes.io/ (docs/annotations.md, "Migration
// report").
#pragma once

#include <string>
#include <vector>

#include "controlplane/objects/kube_objects.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/report.h"

namespace gatehouse::controlplane::translate {

// `values` are the Ingress's parsed annotations; `reasons` everything reported on it (a problem
// with an annotation reads "annotation KEY: ..." in them); `primary`, for a canary, the Ingress
// it splits (null when none). Sorted by key.
std::vector<AnnotationStatus> ReportAnnotations(const objects::kube::Ingress& ingress,
                                                const IngressAnnotations& values,
                                                const std::vector<std::string>& reasons,
                                                const objects::kube::Ingress* primary);

}  // namespace gatehouse::controlplane::translate
