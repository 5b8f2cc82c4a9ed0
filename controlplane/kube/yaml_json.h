// YAML manifests to JSON text: the only place yaml-cpp (and its exceptions) is touched.
//
// Kubernetes manifests are YAML, the kube.proto messages are read by Protobuf's JSON parser, so
// every document is rewritten as JSON. Plain (unquoted) scalars that YAML 1.2's core schema reads
// as null, booleans, integers or floats become JSON literals; every other scalar, and every quoted
// one, becomes a JSON string. So `port: 80` is a number and `port: "80"` a string, as kubectl has
// it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gatehouse::controlplane::kube {

// Converts each document of a YAML stream to JSON text, in order; an empty document becomes
// "null". A syntax error fails the whole stream with "line L, column C: <what>".
absl::StatusOr<std::vector<std::string>> YamlDocumentsToJson(absl::string_view yaml);

// The JSON literal for a plain YAML scalar the core schema reads as null/bool/int/float, or
// nullopt when it is a string. Infinities and NaN become the JSON strings Protobuf accepts.
std::optional<std::string> PlainScalarAsJsonLiteral(absl::string_view scalar);

}  // namespace gatehouse::controlplane::kube
