#include "dataplane/filters/source_ranges.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gatehouse::dataplane::filters {
namespace {

absl::StatusOr<CidrSet> CompileList(const google::protobuf::RepeatedPtrField<std::string>& list,
                                    absl::string_view name) {
  if (list.size() > SourceRangesFilter::kMaxRanges) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " lists ", list.size(), " ranges; at most ", SourceRangesFilter::kMaxRanges));
  }
  for (const std::string& entry : list) {
    // One entry each: a comma inside an entry would hide a second range.
    if (entry.find(',') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(name, " entry holds a comma"));
    }
  }
  absl::StatusOr<CidrSet> set = CidrSet::Parse(absl::StrJoin(list, ","));
  if (!set.ok())
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", set.status().message()));
  return set;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> SourceRangesFilter::Compile(
    const v1::SourceRanges& config) {
  Config compiled;
  compiled.refuse_all = config.refuse_all();
  absl::StatusOr<CidrSet> allow = CompileList(config.allow(), "allow");
  if (!allow.ok()) return allow.status();
  absl::StatusOr<CidrSet> deny = CompileList(config.deny(), "deny");
  if (!deny.ok()) return deny.status();
  compiled.allow = *std::move(allow);
  compiled.deny = *std::move(deny);
  return std::make_shared<const ConfigFactory<SourceRangesFilter, Config>>(std::move(compiled));
}

FilterStatus SourceRangesFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  const IpAddress& client = callbacks().downstream().client_address;
  bool refused = config_.refuse_all || config_.deny.Contains(client) ||
                 (!config_.allow.empty() && !config_.allow.Contains(client));
  if (!refused) return FilterStatus::kContinue;
  callbacks().SendLocalReply(403, "the client address may not reach this path");
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
