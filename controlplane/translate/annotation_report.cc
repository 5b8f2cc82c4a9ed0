#include "controlplane/translate/annotation_report.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "controlplane/translate/annotation_catalog.h"
#include "controlplane/translate/canary.h"

namespace gatehouse::controlplane::translate {
namespace {

using Outcome = AnnotationStatus::Outcome;

// Gatehouse's own annotations, which ingress-nginx does not have.
constexpr absl::string_view kOwnAnnotations[] = {kRequestHeadersAnnotation,
                                                 kResponseHeadersAnnotation};

Outcome FromSupport(Support support) {
  switch (support) {
    case Support::kApplied:
      return Outcome::kApplied;
    case Support::kDiffers:
      return Outcome::kDiffers;
    case Support::kNotNeeded:
      return Outcome::kNotNeeded;
    case Support::kIgnored:
      return Outcome::kIgnored;
    case Support::kRefused:
      return Outcome::kRefused;
  }
  return Outcome::kIgnored;
}

// The reasons about annotation `key` (written "annotation KEY: ..." or "annotation NAME: ...").
std::vector<std::string> ProblemsOf(const std::string& key, absl::string_view name,
                                    const std::vector<std::string>& reasons) {
  std::string by_key = absl::StrCat("annotation ", key, ":");
  std::string by_name = absl::StrCat("annotation ", name, ":");
  std::vector<std::string> out;
  for (const std::string& reason : reasons) {
    if (absl::StrContains(reason, by_key) || absl::StrContains(reason, by_name)) {
      out.push_back(reason);
    }
  }
  return out;
}

AnnotationStatus StatusOf(const objects::kube::Ingress& ingress, const std::string& key,
                          absl::string_view name, const IngressAnnotations& values,
                          const std::vector<std::string>& reasons,
                          const objects::kube::Ingress* primary) {
  const auto& annotations = ingress.metadata().annotations();
  if (absl::StartsWith(key, kNginxPrefix) &&
      annotations.count(absl::StrCat(kGatehousePrefix, name)) > 0) {
    return {key, Outcome::kIgnored, absl::StrCat(kGatehousePrefix, name, " is set too, and wins")};
  }
  std::vector<std::string> problems = ProblemsOf(key, name, reasons);
  if (!problems.empty()) return {key, Outcome::kRefused, absl::StrJoin(problems, "; ")};
  const AnnotationInfo* info = FindAnnotationInfo(name);
  if (name == kSslPassthroughAnnotation && values.ssl_passthrough_disabled) {
    return {key, Outcome::kIgnored,
            "the control plane runs without --enable-ssl-passthrough, so TLS is terminated here, "
            "as ingress-nginx does without its flag"};
  }
  if (values.ssl_passthrough && name != kSslPassthroughAnnotation) {
    return {key, Outcome::kIgnored,
            "ssl-passthrough sends the connections to the backend as they are: no HTTP "
            "annotation applies, as in ingress-nginx"};
  }
  bool own = std::find(std::begin(kOwnAnnotations), std::end(kOwnAnnotations), name) !=
             std::end(kOwnAnnotations);
  bool read = own || (info != nullptr &&
                      (info->support == Support::kApplied || info->support == Support::kDiffers));
  if (values.canary.enabled && read && !CanaryReadsAnnotation(name)) {
    // Copied from the primary, as canaries often are: it applies there, to both.
    AnnotationValue primarys =
        primary != nullptr ? LookupAnnotation(*primary, name) : AnnotationValue{};
    if (primarys.value != nullptr && *primarys.value == annotations.at(key)) {
      return {key, Outcome::kNotNeeded,
              "the primary sets the same value, which applies to the canary's requests too"};
    }
    return {key, Outcome::kIgnored,
            "a canary Ingress takes this from its primary, as in ingress-nginx"};
  }
  if (own) return {key, Outcome::kApplied, "Gatehouse's own annotation"};
  if (info == nullptr) {
    return {key, Outcome::kIgnored,
            "not an annotation ingress-nginx documents or Gatehouse reads; check its spelling"};
  }
  if (name == kCanaryWeightTotalAnnotation && values.canary.weight_total < 100) {
    return {key, Outcome::kDiffers,
            absl::StrCat("the total is ", values.canary.weight_total,
                         " as written; ingress-nginx's balancer counts totals below 100 as 100")};
  }
  return {key, FromSupport(info->support), std::string(info->note)};
}

}  // namespace

std::vector<AnnotationStatus> ReportAnnotations(const objects::kube::Ingress& ingress,
                                                const IngressAnnotations& values,
                                                const std::vector<std::string>& reasons,
                                                const objects::kube::Ingress* primary) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : ingress.metadata().annotations()) {
    if (absl::StartsWith(key, kGatehousePrefix) || absl::StartsWith(key, kNginxPrefix)) {
      keys.push_back(key);
    }
  }
  std::sort(keys.begin(), keys.end());
  std::vector<AnnotationStatus> out;
  for (const std::string& key : keys) {
    absl::string_view name = key;
    if (!absl::ConsumePrefix(&name, kGatehousePrefix)) absl::ConsumePrefix(&name, kNginxPrefix);
    out.push_back(StatusOf(ingress, key, name, values, reasons, primary));
  }
  return out;
}

}  // namespace gatehouse::controlplane::translate
