#include "controlplane/translate/report_proto.h"

#include "absl/time/time.h"

namespace gatehouse::controlplane::translate {

// The admin API's message for a report: the one place the translation's plain types meet it.
gatehouse::v1::IngressReport ReportToProto(const IngressReport& report) {
  gatehouse::v1::IngressReport out;
  out.set_namespace_(report.ns);
  out.set_name(report.name);
  out.set_uid(report.uid);
  switch (report.state) {
    case IngressReport::State::kAccepted:
      out.set_state(gatehouse::v1::IngressReport::ACCEPTED);
      break;
    case IngressReport::State::kPartlyAccepted:
      out.set_state(gatehouse::v1::IngressReport::PARTLY_ACCEPTED);
      break;
    case IngressReport::State::kRejected:
      out.set_state(gatehouse::v1::IngressReport::REJECTED);
      break;
    case IngressReport::State::kIgnored:
      out.set_state(gatehouse::v1::IngressReport::IGNORED);
      break;
  }
  for (const std::string& reason : report.reasons) out.add_reasons(reason);
  for (const CertificateExpiry& certificate : report.certificates) {
    gatehouse::v1::CertificateExpiry& added = *out.add_certificates();
    added.set_where(certificate.where);
    added.set_secret(certificate.secret);
    added.set_not_after(
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", certificate.not_after, absl::UTCTimeZone()));
  }
  for (const AnnotationStatus& status : report.annotations) {
    gatehouse::v1::AnnotationStatus& added = *out.add_annotations();
    added.set_key(status.key);
    added.set_reason(status.reason);
    switch (status.outcome) {
      case AnnotationStatus::Outcome::kApplied:
        added.set_outcome(gatehouse::v1::AnnotationStatus::APPLIED);
        break;
      case AnnotationStatus::Outcome::kDiffers:
        added.set_outcome(gatehouse::v1::AnnotationStatus::DIFFERS);
        break;
      case AnnotationStatus::Outcome::kNotNeeded:
        added.set_outcome(gatehouse::v1::AnnotationStatus::NOT_NEEDED);
        break;
      case AnnotationStatus::Outcome::kIgnored:
        added.set_outcome(gatehouse::v1::AnnotationStatus::IGNORED);
        break;
      case AnnotationStatus::Outcome::kRefused:
        added.set_outcome(gatehouse::v1::AnnotationStatus::REFUSED);
        break;
    }
  }
  for (const std::string& difference : report.differences) out.add_differences(difference);
  return out;
}

}  // namespace gatehouse::controlplane::translate
