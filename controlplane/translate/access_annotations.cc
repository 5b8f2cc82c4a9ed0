// The access-control annotations, read as ingress-nginx reads them (its annotations
// documentation, "Whitelist source range" and "Denylist source range", and its e2e tests
// test/e2e/annotations/{ipwhitelist,ipdenylist}.go): comma-separated addresses and CIDR ranges,
// IPv4 and IPv6. Checked with the data plane's own parser (common/cidr), so what is published
// compiles there.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

// As many as the data plane's SourceRanges filter takes.
constexpr size_t kMaxRanges = 4096;

// The list `found` holds; a value that cannot be read is reported and refuses every client.
std::vector<std::string> ReadRanges(const AnnotationValue& found, ParsedAnnotations* parsed) {
  std::vector<std::string> ranges;
  for (absl::string_view entry : absl::StrSplit(*found.value, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (absl::StatusOr<CidrSet> one = CidrSet::Parse(entry); !one.ok()) {
      parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ", one.status().message(),
                                            "; every client is refused until it is mended"));
      parsed->values.access.refuse_all = true;
      return {};
    }
    ranges.emplace_back(entry);
  }
  if (ranges.size() > kMaxRanges) {
    parsed->errors.push_back(absl::StrCat("annotation ", found.key, ": ", ranges.size(),
                                          " ranges, more than ", kMaxRanges,
                                          "; every client is refused until it is mended"));
    parsed->values.access.refuse_all = true;
    return {};
  }
  return ranges;
}

}  // namespace

void ParseAccessAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AccessAnnotations& access = parsed->values.access;
  AnnotationValue allow = LookupAnnotation(ingress, kAllowlistSourceRangeAnnotation);
  if (allow.value == nullptr) allow = LookupAnnotation(ingress, kWhitelistSourceRangeAnnotation);
  if (allow.value != nullptr) access.allow = ReadRanges(allow, parsed);
  if (AnnotationValue deny = LookupAnnotation(ingress, kDenylistSourceRangeAnnotation);
      deny.value != nullptr) {
    access.deny = ReadRanges(deny, parsed);
  }
}

}  // namespace gatehouse::controlplane::translate
