// ingress-nginx's custom-http-errors and default-backend annotations as a route's ErrorPages:
// which backend answers replace, by which Service's answer, with the headers ingress-nginx's
// custom error pages send (X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port; the data
// plane adds X-Code, X-Format, X-Original-URI and X-Request-ID).
#pragma once

#include <optional>
#include <string>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/backends.h"
#include "controlplane/translate/options.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

// The error pages of a path of `ingress` whose backend is `service`; nullopt when its annotations
// ask for none, or when they cannot be served (then `problem` says why).
std::optional<gatehouse::v1::ErrorPages> ErrorPagesFor(
    const objects::kube::Ingress& ingress, const IngressAnnotations& values,
    const objects::kube::IngressServiceBackend& service, const objects::ObjectStore& world,
    const TranslateOptions& options, ClusterTargets* clusters, std::string* problem);

}  // namespace gatehouse::controlplane::translate
