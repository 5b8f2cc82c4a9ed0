#include "controlplane/xds/stream_protocol.h"

#include "absl/strings/str_cat.h"
#include "common/resource_types.h"

namespace gatehouse::controlplane::xds {
namespace {

using gatehouse::v1::DiscoveryRequest;
using gatehouse::v1::DiscoveryResponse;

bool IsKnownType(absl::string_view type_url) {
  for (absl::string_view type : kResourceTypesInOrder) {
    if (type == type_url) return true;
  }
  return false;
}

// The names in `from` that `to` lacks; both maps are walked once, in name order.
std::vector<std::string> RemovedNames(const ContentMap& from, const ContentMap& to) {
  std::vector<std::string> removed;
  auto t = to.begin();
  for (const auto& [name, digest] : from) {
    while (t != to.end() && t->first < name) ++t;
    if (t == to.end() || t->first != name) removed.push_back(name);
  }
  return removed;
}

}  // namespace

StreamProtocol::Outcome StreamProtocol::Handle(const DiscoveryRequest& request) {
  Outcome outcome;
  outcome.type_url = request.type_url();
  if (request.has_node() && node_id_.empty()) {
    node_id_ = request.node().id();
    node_build_version_ = request.node().build_version();
    outcome.identified = true;
  }
  const std::string& type = request.type_url();
  if (!IsKnownType(type)) {
    outcome.kind = Outcome::Kind::kUnknownType;
    return outcome;
  }
  TypeState& state = types_[type];
  if (request.response_nonce().empty() || !state.subscribed) {
    state = TypeState();
    state.subscribed = true;
    state.has_version = request.version_info();
    outcome.kind = Outcome::Kind::kSubscribed;
    outcome.version = request.version_info();
    return outcome;
  }
  if (!state.in_flight.has_value() || request.response_nonce() != state.in_flight->nonce) {
    outcome.kind = Outcome::Kind::kStaleNonce;
    return outcome;
  }
  TypeState::InFlight answered = std::move(*state.in_flight);
  state.in_flight.reset();
  outcome.version = answered.version;
  if (request.has_error_detail()) {
    state.rejected_version = answered.version;
    // A data plane that applied the version without what it could not serve says it runs it:
    // its resources are no longer the ones known here, so the next version goes whole.
    if (request.version_info() != state.has_version) {
      state.has_version = request.version_info();
      state.content_known = false;
    }
    outcome.kind = Outcome::Kind::kNack;
    outcome.kept_version = request.version_info();
    outcome.message = request.error_detail().message();
    return outcome;
  }
  state.has = std::move(answered.content);
  state.has_version = answered.version;
  state.content_known = true;
  outcome.kind = Outcome::Kind::kAck;
  return outcome;
}

bool StreamProtocol::RoutesSettled(const Snapshot& snapshot) const {
  for (absl::string_view type : {kListenerType, kRouteType}) {
    auto it = types_.find(std::string(type));
    const ResourceSet* set = snapshot.Find(type);
    if (it == types_.end() || set == nullptr) return false;
    const TypeState& state = it->second;
    if (state.in_flight.has_value() || state.has_version != set->version) return false;
  }
  return true;
}

std::vector<DiscoveryResponse> StreamProtocol::Responses(
    const std::shared_ptr<const Snapshot>& snapshot) {
  std::vector<DiscoveryResponse> responses;
  if (snapshot == nullptr) return responses;
  bool routes_settled = RoutesSettled(*snapshot);
  for (absl::string_view type : kResourceTypesInOrder) {
    auto it = types_.find(std::string(type));
    const ResourceSet* set = snapshot->Find(type);
    if (it == types_.end() || set == nullptr) continue;
    TypeState& state = it->second;
    if (!state.subscribed || state.in_flight.has_value()) continue;
    std::shared_ptr<const ContentMap> content(snapshot, &set->content);
    if (set->version == state.has_version) {
      // Runs this version already (a reconnect says so too): nothing to send.
      if (!state.content_known) {
        state.has = std::move(content);
        state.content_known = true;
      }
      continue;
    }
    if (!state.content_known) {
      if (set->version == state.rejected_version) continue;
      responses.push_back(
          Make(state, *set, set->version, std::move(content), /*incremental=*/false));
      continue;
    }
    // Make before break: until the data plane runs routes that no longer use them, clusters
    // and endpoints leaving the snapshot stay.
    std::shared_ptr<const ContentMap> target = std::move(content);
    std::string version = set->version;
    if ((type == kClusterType || type == kEndpointsType) && !routes_settled &&
        !RemovedNames(*state.has, set->content).empty()) {
      auto kept = std::make_shared<ContentMap>(set->content);
      for (const auto& [name, digest] : *state.has) kept->emplace(name, digest);
      version = ContentVersion(type, *kept);
      target = std::move(kept);
    }
    if (version == state.has_version || version == state.rejected_version) continue;
    responses.push_back(Make(state, *set, version, std::move(target), /*incremental=*/true));
  }
  return responses;
}

DiscoveryResponse StreamProtocol::Make(TypeState& state, const ResourceSet& set,
                                       const std::string& version,
                                       std::shared_ptr<const ContentMap> target, bool incremental) {
  DiscoveryResponse response;
  response.set_type_url(set.type_url);
  response.set_version_info(version);
  response.set_nonce(absl::StrCat(++nonce_counter_));
  response.set_incremental(incremental);
  // set.resources, set.names and set.content are all in name order: walk them with `has`.
  auto current = set.content.begin();
  auto had = incremental ? state.has->begin() : ContentMap::const_iterator();
  for (size_t i = 0; i < set.resources.size(); ++i, ++current) {
    if (incremental) {
      while (had != state.has->end() && had->first < current->first) ++had;
      if (had != state.has->end() && had->first == current->first &&
          had->second == current->second) {
        continue;
      }
    }
    *response.add_resources() = set.resources[i];
  }
  if (incremental) {
    for (std::string& name : RemovedNames(*state.has, *target)) {
      response.add_removed_resources(std::move(name));
    }
  }
  state.in_flight = TypeState::InFlight{version, response.nonce(), std::move(target)};
  return response;
}

}  // namespace gatehouse::controlplane::xds
