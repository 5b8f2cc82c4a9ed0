#include "controlplane/translate/report.h"

namespace gatehouse::controlplane::translate {

absl::string_view StateName(IngressReport::State state) {
  switch (state) {
    case IngressReport::State::kAccepted:
      return "ACCEPTED";
    case IngressReport::State::kPartlyAccepted:
      return "PARTLY_ACCEPTED";
    case IngressReport::State::kRejected:
      return "REJECTED";
    case IngressReport::State::kIgnored:
      return "IGNORED";
  }
  return "UNKNOWN";
}

absl::string_view OutcomeName(AnnotationStatus::Outcome outcome) {
  switch (outcome) {
    case AnnotationStatus::Outcome::kApplied:
      return "applied";
    case AnnotationStatus::Outcome::kDiffers:
      return "differs";
    case AnnotationStatus::Outcome::kNotNeeded:
      return "not needed";
    case AnnotationStatus::Outcome::kIgnored:
      return "ignored";
    case AnnotationStatus::Outcome::kRefused:
      return "refused";
  }
  return "?";
}

}  // namespace gatehouse::controlplane::translate
