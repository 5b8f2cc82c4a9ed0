// How gatehousectl renders the admin API's answers: a readable status summary and the config
// dump as JSON. Pure functions, kept apart from the RPCs so they can be tested with fixed inputs.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "gatehouse/v1/admin.pb.h"

namespace gatehouse::gatehousectl {

// "1d2h3m4s" style; "0s" for zero or negative input.
std::string FormatDuration(int64_t seconds);

// The short name of a type URL: "type.googleapis.com/gatehouse.v1.Cluster" -> "Cluster".
std::string ShortTypeName(const std::string& type_url);

// A multi-line, human-readable summary of a GetStatus answer, ending with a newline.
std::string FormatStatus(const gatehouse::v1::GetStatusResponse& status);

// One row per connected data plane: node, address, time connected, and per resource type
// SYNCED (runs the latest version), PENDING (sent, not yet acknowledged), STALE (runs an older
// one) or NACKED (refused the latest); then the message of every refusal.
std::string FormatProxyStatus(const gatehouse::v1::GetProxyStatusResponse& status);

// The config dump as indented JSON, with every Any resource expanded into its fields.
// Fails when a resource's type is not one this binary knows.
absl::StatusOr<std::string> FormatConfigDump(const gatehouse::v1::GetConfigDumpResponse& dump);

}  // namespace gatehouse::gatehousectl
