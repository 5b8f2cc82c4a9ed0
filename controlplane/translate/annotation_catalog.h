// Every annotation ingress-nginx documents, and what Gatehouse does with it: the source of the
// migration report's status for annotations that are not applied, and of docs/annotations.md's
// table (a test keeps the two the same).
#pragma once

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gatehouse::controlplane::translate {

enum class Support {
  kApplied,    // read with ingress-nginx's meaning
  kDiffers,    // read, with a documented difference
  kIgnored,    // not supported; `note` says why, and what to use instead
  kNotNeeded,  // nothing to do: Gatehouse behaves so anyway; `note` says how
  kRefused,    // raw nginx configuration, never interpreted
};

struct AnnotationInfo {
  absl::string_view name;  // without a prefix: "rewrite-target"
  Support support;
  absl::string_view note;
};

// Sorted by name.
absl::Span<const AnnotationInfo> AnnotationCatalog();

// The entry for `name` (without a prefix), or null for a name ingress-nginx does not document.
const AnnotationInfo* FindAnnotationInfo(absl::string_view name);

}  // namespace gatehouse::controlplane::translate
