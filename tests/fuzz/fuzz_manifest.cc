// Fuzz target: a manifest file as the folder source reads it: YAML (yaml-cpp), documents and
// Lists, each object to JSON and through Protobuf's JSON parser into its typed kind, then the
// checks the parser cannot make. A bad object must be reported, never crash or hang the reader.
#include <string>

#include "controlplane/source/manifest_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view yaml(reinterpret_cast<const char*>(data), size);
  gatehouse::controlplane::source::ParsedManifests parsed =
      gatehouse::controlplane::source::ParseManifests(yaml, "fuzz.yaml", {});
  for (const auto& object : parsed.objects) {
    (void)gatehouse::controlplane::source::ValidateObject(object).ok();
  }
  return 0;
}
