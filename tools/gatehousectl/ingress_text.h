// How gatehousectl shows Ingress reports and their migration reports (the admin API's
// IngressReport): a list, one Ingress in full, and migrate-check's summary. Pure functions.
#pragma once

#include <string>

#include "gatehouse/v1/admin.pb.h"
#include "google/protobuf/repeated_field.h"

namespace gatehouse::gatehousectl {

using IngressReports = google::protobuf::RepeatedPtrField<gatehouse::v1::IngressReport>;

// "applied", "differs", "not needed", "ignored" or "refused".
std::string OutcomeText(gatehouse::v1::AnnotationStatus::Outcome outcome);

// Whether the Ingress behaves for this annotation as under ingress-nginx.
bool Honoured(const gatehouse::v1::AnnotationStatus& status);

// One row per Ingress: name, state, and how many of its annotations are not applied.
std::string FormatIngressList(const IngressReports& ingresses);

// One Ingress: its state and reasons, a table of its annotations, the differences in matching,
// and its certificates.
std::string FormatIngressReport(const gatehouse::v1::IngressReport& ingress);

// migrate-check's closing lines: Ingresses by state, annotations by outcome, and the annotations
// not applied, by name, with how many Ingresses carry each.
std::string FormatMigrationSummary(const IngressReports& ingresses);

}  // namespace gatehouse::gatehousectl
