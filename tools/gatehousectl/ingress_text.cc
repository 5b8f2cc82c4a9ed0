#include "tools/gatehousectl/ingress_text.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace gatehouse::gatehousectl {
namespace {

using gatehouse::v1::AnnotationStatus;
using gatehouse::v1::IngressReport;

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text;
}

std::string StateText(IngressReport::State state) {
  return absl::AsciiStrToLower(IngressReport::State_Name(state));
}

// The key without the ingress-nginx prefix, which most annotations carry.
absl::string_view ShortKey(absl::string_view key) {
  absl::ConsumePrefix(&key, "nginx.ingress.kubernetes.io/");
  return key;
}

int NotHonoured(const IngressReport& ingress) {
  int count = 0;
  for (const AnnotationStatus& status : ingress.annotations()) count += Honoured(status) ? 0 : 1;
  return count;
}

}  // namespace

std::string OutcomeText(AnnotationStatus::Outcome outcome) {
  if (outcome == AnnotationStatus::NOT_NEEDED) return "not needed";
  return absl::AsciiStrToLower(AnnotationStatus::Outcome_Name(outcome));
}

bool Honoured(const AnnotationStatus& status) {
  return status.outcome() == AnnotationStatus::APPLIED ||
         status.outcome() == AnnotationStatus::DIFFERS ||
         status.outcome() == AnnotationStatus::NOT_NEEDED;
}

std::string FormatIngressList(const IngressReports& ingresses) {
  if (ingresses.empty()) return "no Ingresses\n";
  size_t width = 7;
  for (const IngressReport& ingress : ingresses) {
    width = std::max(width, ingress.namespace_().size() + 1 + ingress.name().size());
  }
  std::string out =
      absl::StrCat(Pad("INGRESS", width), "  ", Pad("STATE", 16), "  ANNOTATIONS  NOT APPLIED\n");
  for (const IngressReport& ingress : ingresses) {
    absl::StrAppend(&out, Pad(absl::StrCat(ingress.namespace_(), "/", ingress.name()), width), "  ",
                    Pad(StateText(ingress.state()), 16), "  ",
                    Pad(absl::StrCat(ingress.annotations_size()), 11), "  ", NotHonoured(ingress),
                    "\n");
  }
  return out;
}

std::string FormatIngressReport(const IngressReport& ingress) {
  std::string out = absl::StrCat(ingress.namespace_(), "/", ingress.name(), ": ",
                                 StateText(ingress.state()), "\n");
  for (const std::string& reason : ingress.reasons()) {
    // An annotation's own problem is its row's reason below.
    if (absl::StartsWith(reason, "annotation ") && !ingress.annotations().empty()) continue;
    absl::StrAppend(&out, "  - ", reason, "\n");
  }
  if (!ingress.annotations().empty()) {
    size_t width = 10;
    for (const AnnotationStatus& status : ingress.annotations()) {
      width = std::max(width, ShortKey(status.key()).size());
    }
    absl::StrAppend(&out, "  ", Pad("ANNOTATION", width), "  ", Pad("STATUS", 10), "  REASON\n");
    for (const AnnotationStatus& status : ingress.annotations()) {
      absl::StrAppend(&out, "  ", Pad(std::string(ShortKey(status.key())), width), "  ",
                      Pad(OutcomeText(status.outcome()), 10), "  ", status.reason(), "\n");
    }
  }
  for (const std::string& difference : ingress.differences()) {
    absl::StrAppend(&out, "  differs from ingress-nginx: ", difference, "\n");
  }
  for (const auto& certificate : ingress.certificates()) {
    absl::StrAppend(&out, "  certificate ", certificate.where(), " (", certificate.secret(),
                    "): valid until ", certificate.not_after(), "\n");
  }
  return out;
}

std::string FormatMigrationSummary(const IngressReports& ingresses) {
  std::map<std::string, int> states;
  std::map<std::string, int> outcomes;
  std::map<std::string, int> not_applied;  // short key → Ingresses carrying it, not applied
  for (const IngressReport& ingress : ingresses) {
    ++states[StateText(ingress.state())];
    for (const AnnotationStatus& status : ingress.annotations()) {
      ++outcomes[OutcomeText(status.outcome())];
      if (!Honoured(status)) {
        ++not_applied[absl::StrCat(ShortKey(status.key()), " (", OutcomeText(status.outcome()),
                                   ")")];
      }
    }
  }
  std::string out = absl::StrCat("summary: ", ingresses.size(), " Ingresses");
  for (const auto& [state, count] : states) absl::StrAppend(&out, ", ", count, " ", state);
  int total = 0;
  for (const auto& [outcome, count] : outcomes) total += count;
  absl::StrAppend(&out, "\n         ", total, " annotations");
  for (const auto& [outcome, count] : outcomes) absl::StrAppend(&out, ", ", count, " ", outcome);
  absl::StrAppend(&out, "\n");
  if (not_applied.empty()) {
    absl::StrAppend(&out, "every annotation is applied\n");
    return out;
  }
  absl::StrAppend(&out, "not applied:\n");
  for (const auto& [key, count] : not_applied) {
    absl::StrAppend(&out, "  ", key, ": ", count, count == 1 ? " Ingress\n" : " Ingresses\n");
  }
  return out;
}

}  // namespace gatehouse::gatehousectl
