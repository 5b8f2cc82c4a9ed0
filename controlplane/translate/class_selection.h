// Which Ingresses this controller serves (docs/design.md, "Ingress semantics": Class).
//
// An Ingress is ours when spec.ingressClassName names an IngressClass whose spec.controller is
// ours, or names our class when no IngressClass of that name exists; or, without a class, when
// the legacy kubernetes.io/ingress.class annotation names our class, or our IngressClass is
// marked the cluster default.
#pragma once

#include <map>
#include <string>

#include "controlplane/objects/kube_objects.h"
#include "controlplane/translate/options.h"

namespace gatehouse::controlplane::translate {

inline constexpr absl::string_view kIngressClassAnnotation = "kubernetes.io/ingress.class";
inline constexpr absl::string_view kDefaultClassAnnotation =
    "ingressclass.kubernetes.io/is-default-class";

struct ClassDecision {
  bool ours = false;
  std::string reason;  // why not ours; empty when ours
};

// Decides whether `ingress` belongs to this controller.
ClassDecision SelectClass(
    const objects::kube::Ingress& ingress,
    const std::map<objects::NamespacedName, objects::kube::IngressClass>& classes,
    const TranslateOptions& options);

}  // namespace gatehouse::controlplane::translate
