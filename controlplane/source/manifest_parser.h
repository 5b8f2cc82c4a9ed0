// Reading one YAML manifest file into typed Kubernetes objects.
//
// A file holds any number of documents, each an object or a `kind: List` of objects. Objects of
// kinds the control plane does not watch (Deployment, ConfigMap, ...) are skipped silently; an
// object it cannot read (no kind or name, a wrong apiVersion, a field of the wrong type) is
// skipped with a SourceError naming the file and the object, and its neighbours are still read.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "controlplane/source/object_source.h"
#include "gatehouse/v1/admin.pb.h"

namespace gatehouse::controlplane::source {

struct ManifestOptions {
  // When set, namespaced objects of other namespaces are skipped (IngressClass always passes).
  std::string watch_namespace;
};

struct ParsedManifests {
  std::vector<KubeObject> objects;  // in file order; namespaced objects always have a namespace
  std::vector<gatehouse::v1::SourceError> errors;  // one per object skipped, in file order
  bool syntax_error = false;  // the file is not YAML at all: `objects` is empty, one error
};

// Checks what the JSON parser cannot: EndpointSlice addresses must be IPs of the slice's family.
absl::Status ValidateObject(const KubeObject& object);

// Reads every object of `yaml`; `file_name` goes into the errors.
ParsedManifests ParseManifests(absl::string_view yaml, absl::string_view file_name,
                               const ManifestOptions& options);

}  // namespace gatehouse::controlplane::source
