// Fuzz target: an Ingress's annotations, read as the translation reads them (sizes, booleans,
// load balancing, affinity cookies, upstream protocol and TLS settings). The input is lines
// "NAME=VALUE"; a NAME without a '/' gets the ingress-nginx prefix.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "controlplane/translate/annotations.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  gatehouse::v1::kube::Ingress ingress;
  ingress.mutable_metadata()->set_namespace_("default");
  ingress.mutable_metadata()->set_name("fuzz");
  auto& annotations = *ingress.mutable_metadata()->mutable_annotations();
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::pair<std::string, std::string> entry = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (!absl::StrContains(entry.first, '/')) {
      entry.first = "nginx.ingress.kubernetes.io/" + entry.first;
    }
    annotations[entry.first] = entry.second;
  }
  gatehouse::controlplane::translate::ParseAnnotations(ingress);
  (void)gatehouse::controlplane::translate::ParseSize(text).ok();
  return 0;
}
