// A step of a route's request and response: the per-route filter chain's unit.
//
// A route's filters are compiled once per config version (FilterChain, filter_chain.h); each
// request the route takes gets its own instances. Request hooks run first filter to last, then
// the router's upstream exchange starts; response hooks run last filter to first. A hook may:
//  - continue (kContinue): the next filter runs;
//  - answer locally (SendLocalReply, then kStop): a redirect, a 401, a 413, a 429. Nothing goes
//    upstream; the response hooks of the filters that saw the request still run on the reply;
//  - stop and resume later (kStop from OnRequestHeaders alone, then ContinueRequest() on a later
//    turn of the loop): an external auth call. Body bytes arriving meanwhile are held, and reach
//    the later filters' data hooks when the chain resumes.
// Response hooks edit what passes; they cannot stop it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/strings/string_view.h"
#include "common/cidr.h"
#include "dataplane/http/headers.h"
#include "dataplane/tls/peer_certificate.h"

namespace gatehouse::dataplane::filters {

enum class FilterStatus {
  kContinue,  // hand the event to the next filter
  kStop,      // the filter answered locally, or (request headers only) will resume the chain
};

// Where a request comes from: its client connection, or, behind trusted proxies
// (--use-forwarded-headers), what they say of the client.
struct DownstreamInfo {
  std::string scheme;        // "http" or "https": the connection's, or X-Forwarded-Proto
  uint16_t local_port = 0;   // the port the client connected to, or X-Forwarded-Port
  std::string client_ip;     // the client's address as text: the peer's, or X-Forwarded-For's
  IpAddress client_address;  // `client_ip` parsed, for range checks
  // The request came from a trusted proxy and its X-Forwarded-* headers count (their values
  // are passed on); with `full_forwarded_for`, X-Forwarded-For is passed on with the peer
  // appended (ingress-nginx's compute-full-forwarded-for), else it is `client_ip` alone.
  bool forwarded = false;
  bool full_forwarded_for = false;
  std::string peer_ip;  // the connection's peer, when `forwarded`
  // The connection began with a PROXY protocol header: `client_ip` is the client it named (or
  // the socket's peer), and X-Forwarded-For never replaces it, as ingress-nginx then takes the
  // client from the PROXY header alone.
  bool proxy_protocol = false;
  // The connection is TLS (whatever X-Forwarded-Proto says; see `scheme`).
  bool secure = false;
  // TLS whose SNI name asked for a client certificate: what the handshake proved.
  std::shared_ptr<const tls::PeerCertificate> client_certificate;
};

// The answer to a filter's own request (SendSideRequest): its status and headers (the body is
// read and dropped), or why there is none.
struct SideResponse {
  bool ok = false;    // false: no answer (no endpoint, a failed connection, the timeout)
  std::string error;  // why, when not ok
  int status = 0;
  http::HeaderMap headers;
};

// What a filter may ask of the request it runs on; implemented by the proxy stream.
class FilterCallbacks {
 public:
  virtual ~FilterCallbacks() = default;
  virtual const DownstreamInfo& downstream() const = 0;
  // The worker's generator: fast, seeded from the system, not for secrets.
  virtual absl::InsecureBitGen& random() = 0;
  // Answers the request with `status`, a short text body saying `message`, and `headers`. When
  // the response has already started, the stream is reset instead. The filter then returns
  // kStop; no later request hook runs.
  virtual void SendLocalReply(int status, absl::string_view message,
                              http::HeaderMap headers = http::HeaderMap()) = 0;
  // Resumes a chain stopped at this filter's OnRequestHeaders. Never call it from inside that
  // hook: return kContinue there instead.
  virtual void ContinueRequest() = 0;
  // The request's id, for the access log (X-Request-Id).
  virtual void SetRequestId(absl::string_view id) = 0;
  // Runs `work` off the event loop (on a thread pool), then `done` on the loop on a later turn,
  // with ran = false when it was cancelled before it ran (the worker is stopping). Returns
  // false, running neither, when the worker already has as much such work as it allows: the
  // filter then answers for itself. `work` must touch only what it owns; `done` may run after
  // the request is gone, so it must check a token the filter's destructor clears.
  virtual bool RunBlocking(absl::AnyInvocable<void()> work,
                           absl::AnyInvocable<void(bool ran)> done) = 0;
  // Sends `head` (a bodiless request) to an endpoint of `cluster` through the worker's upstream
  // pools, and calls `done` with its answer on a later turn of the loop, or with ok = false
  // when it cannot be sent, fails, or has no answer head within `timeout_ms`. Returns an id for
  // CancelSideRequest; once cancelled (the filter is going away), `done` never runs.
  virtual uint64_t SendSideRequest(absl::string_view cluster, http::RequestHead head,
                                   uint64_t timeout_ms,
                                   absl::AnyInvocable<void(SideResponse)> done) = 0;
  virtual void CancelSideRequest(uint64_t id) = 0;
};

class Filter {
 public:
  virtual ~Filter() = default;

  // Called once, before any hook.
  void set_callbacks(FilterCallbacks& callbacks) { callbacks_ = &callbacks; }

  virtual FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) {
    return FilterStatus::kContinue;
  }
  virtual FilterStatus OnRequestData(absl::string_view data, bool end_stream) {
    return FilterStatus::kContinue;
  }
  virtual FilterStatus OnRequestTrailers(http::HeaderMap& trailers) {
    return FilterStatus::kContinue;
  }
  // `head` is the upstream's response or a local reply.
  virtual void OnResponseHeaders(http::ResponseHead& head, bool end_stream) {}
  virtual void OnResponseData(absl::string_view data, bool end_stream) {}
  virtual void OnResponseTrailers(http::HeaderMap& trailers) {}

 protected:
  FilterCallbacks& callbacks() { return *callbacks_; }

 private:
  FilterCallbacks* callbacks_ = nullptr;
};

}  // namespace gatehouse::dataplane::filters
