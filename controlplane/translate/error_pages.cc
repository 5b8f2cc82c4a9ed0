#include "controlplane/translate/error_pages.h"

#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/log.h"

namespace gatehouse::controlplane::translate {

std::optional<gatehouse::v1::ErrorPages> ErrorPagesFor(
    const objects::kube::Ingress& ingress, const IngressAnnotations& values,
    const objects::kube::IngressServiceBackend& service, const objects::ObjectStore& world,
    const TranslateOptions& options, ClusterTargets* clusters, std::string* problem) {
  if (values.error_codes.empty() && values.default_backend.empty()) return std::nullopt;
  const std::string& ns = ingress.metadata().namespace_();
  ResolvedBackend target;
  if (!values.default_backend.empty()) {
    auto found = world.services().find(objects::NamespacedName{ns, values.default_backend});
    if (found == world.services().end() || found->second.spec().ports().empty()) {
      *problem =
          absl::StrCat("annotation default-backend: Service ", ns, "/", values.default_backend,
                       " does not exist or has no port; no error pages are served");
      return std::nullopt;
    }
    // ingress-nginx's custom default backend is the Service's first port.
    target = ResolveBackendRef(
        BackendRef{ns, values.default_backend, found->second.spec().ports(0).port(), ""}, world,
        clusters);
  } else if (options.default_backend.has_value()) {
    target = ResolveBackendRef(*options.default_backend, world, clusters);
  } else {
    *problem =
        "annotation custom-http-errors: no default-backend annotation and no --default-backend "
        "to answer them; the backend's answers pass unchanged";
    return std::nullopt;
  }
  if (target.cluster.empty()) {
    *problem = absl::StrCat("error pages: ", target.problem);
    return std::nullopt;
  }
  gatehouse::v1::ErrorPages pages;
  for (uint32_t code : values.error_codes) pages.add_codes(code);
  pages.set_cluster(target.cluster);
  pages.set_when_no_endpoints(!values.default_backend.empty());
  auto add = [&pages](const char* name, std::string value) {
    gatehouse::v1::Header& header = *pages.add_headers();
    header.set_name(name);
    header.set_value(std::move(value));
  };
  add("X-Namespace", ns);
  add("X-Ingress-Name", ingress.metadata().name());
  add("X-Service-Name", service.name());
  add("X-Service-Port", service.port().name().empty() ? absl::StrCat(service.port().number())
                                                      : service.port().name());
  // Names the API server would have refused can come from a folder: checked as a data plane
  // checks them.
  for (const gatehouse::v1::Header& header : pages.headers()) {
    if (!IsFieldValue(header.value())) {
      *problem = absl::StrCat("error pages: ", header.name(), " would be ",
                              QuoteForMessage(header.value()),
                              ", which cannot be sent in a header; no error pages are served");
      return std::nullopt;
    }
  }
  return pages;
}

}  // namespace gatehouse::controlplane::translate
