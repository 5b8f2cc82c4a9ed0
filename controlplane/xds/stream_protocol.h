// One data plane's config stream as a protocol, apart from gRPC and threads: what each request
// means, and which responses the data plane lacks for a snapshot. The DiscoveryServer's stream
// shell only moves messages between gRPC and this class and records what it reports, so every
// rule here is tested with plain calls (stream_protocol_test.cc), no server and no waiting.
//
// State of the world per resource type, in the order clusters, endpoints, listeners, routes:
// whenever the snapshot's version of a type differs from what the data plane runs (at stream
// start: the version its subscription names), the stream gets that type's resources with the
// version and a fresh nonce, all of them on a new stream and only what changed afterwards. One
// response per type awaits its answer at a time; a NACKed version is never resent (the stream
// waits for the next snapshot); requests with a stale nonce are ignored. Make before break:
// clusters and endpoints the data plane's routes may still use stay until it runs the routes
// that no longer do.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/xds/snapshot_cache.h"
#include "gatehouse/v1/discovery.pb.h"

namespace gatehouse::controlplane::xds {

class StreamProtocol {
 public:
  // What one request was.
  struct Outcome {
    enum class Kind {
      kSubscribed,   // the data plane asks for a type, saying which version it runs
      kAck,          // it applied `version`
      kNack,         // it refused `version` and keeps `kept_version`, for `message`
      kStaleNonce,   // an answer to no response awaiting one: ignored
      kUnknownType,  // a type this control plane does not serve: ignored
    };
    Kind kind = Kind::kSubscribed;
    std::string type_url;
    std::string version;
    std::string kept_version;
    std::string message;
    bool identified = false;  // this request named the node for the first time
  };

  Outcome Handle(const gatehouse::v1::DiscoveryRequest& request);

  // The responses the data plane lacks for `snapshot`, in type order; each then awaits its
  // answer.
  std::vector<gatehouse::v1::DiscoveryResponse> Responses(
      const std::shared_ptr<const Snapshot>& snapshot);

  // The node id from the stream's first request that named one; empty before.
  const std::string& node_id() const { return node_id_; }
  const std::string& node_build_version() const { return node_build_version_; }

 private:
  struct TypeState {
    bool subscribed = false;
    // What the data plane runs: `has` is exact once `content_known`; before that (a new stream)
    // only its version is known, from the subscription. Content maps are shared with the
    // snapshot they came from, so no stream copies them.
    bool content_known = false;
    std::shared_ptr<const ContentMap> has;
    std::string has_version;
    // The response awaiting its ACK or NACK; a type is sent again only after the answer.
    struct InFlight {
      std::string version;
      std::string nonce;
      std::shared_ptr<const ContentMap> content;  // what the data plane runs once it applies it
    };
    std::optional<InFlight> in_flight;
    std::string rejected_version;  // never resent until the snapshot changes
  };

  // Whether the data plane runs the snapshot's listeners and routes: only then may clusters and
  // endpoints those routes used to reference be removed.
  bool RoutesSettled(const Snapshot& snapshot) const;
  // The response taking the data plane from `state.has` to `target` (all of `set`'s resources
  // when not incremental); `state` then awaits its answer.
  gatehouse::v1::DiscoveryResponse Make(TypeState& state, const ResourceSet& set,
                                        const std::string& version,
                                        std::shared_ptr<const ContentMap> target, bool incremental);

  std::map<std::string, TypeState> types_;
  uint64_t nonce_counter_ = 0;
  std::string node_id_;
  std::string node_build_version_;
};

}  // namespace gatehouse::controlplane::xds
