#include "controlplane/translate/class_selection.h"

#include "absl/strings/str_cat.h"

namespace gatehouse::controlplane::translate {

ClassDecision SelectClass(
    const objects::kube::Ingress& ingress,
    const std::map<objects::NamespacedName, objects::kube::IngressClass>& classes,
    const TranslateOptions& options) {
  if (ingress.spec().has_ingress_class_name()) {
    const std::string& name = ingress.spec().ingress_class_name();
    auto it = classes.find(objects::NamespacedName{"", name});
    if (it != classes.end()) {
      const std::string& controller = it->second.spec().controller();
      if (controller == options.controller) return {true, ""};
      return {false, absl::StrCat("ingressClassName \"", name, "\" belongs to controller \"",
                                  controller, "\", not \"", options.controller, "\"")};
    }
    if (name == options.ingress_class) return {true, ""};
    return {false,
            absl::StrCat("ingressClassName \"", name, "\" names no IngressClass and is not \"",
                         options.ingress_class, "\"")};
  }
  const auto& annotations = ingress.metadata().annotations();
  if (auto it = annotations.find(std::string(kIngressClassAnnotation)); it != annotations.end()) {
    if (it->second == options.ingress_class) return {true, ""};
    return {false, absl::StrCat("annotation ", kIngressClassAnnotation, " is \"", it->second,
                                "\", not \"", options.ingress_class, "\"")};
  }
  for (const auto& [name, ingress_class] : classes) {
    const auto& class_annotations = ingress_class.metadata().annotations();
    auto it = class_annotations.find(std::string(kDefaultClassAnnotation));
    if (ingress_class.spec().controller() == options.controller && it != class_annotations.end() &&
        it->second == "true") {
      return {true, ""};
    }
  }
  return {false, absl::StrCat("no ingressClassName, and no IngressClass of controller \"",
                              options.controller, "\" is the default class")};
}

}  // namespace gatehouse::controlplane::translate
