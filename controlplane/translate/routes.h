// Ingress rules to virtual hosts and routes (docs/design.md, "Ingress semantics": Host, Paths,
// Precedence).
//
// One virtual host per lower-cased host, shared by every Ingress naming it; rules without host
// go to the "*" host. Inside a host, routes are ordered longest path first, and at equal length
// Exact before Prefix before ImplementationSpecific. A host, path type and path is claimed by the
// first Ingress to add it; callers add Ingresses oldest first, so the oldest wins a conflict.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/objects/kube_objects.h"
#include "gatehouse/v1/config.pb.h"

namespace gatehouse::controlplane::translate {

inline constexpr absl::string_view kAnyHost = "*";

// The vhost domain of a rule host: lower-cased, "*.example.com" kept, "" becomes "*".
absl::StatusOr<std::string> DomainForHost(absl::string_view host);

// The route match of an Ingress path (an empty path means "/"). With `use_regex`, an
// ImplementationSpecific path is a regular expression (RE2 syntax, matched case-insensitively
// from the start of the path, as ingress-nginx does); a pattern RE2 cannot compile is an error.
absl::StatusOr<gatehouse::v1::RouteMatch> MatchForPath(const objects::kube::HTTPIngressPath& path,
                                                       bool use_regex);

// True when `a` must be tried before `b` inside one virtual host.
bool RouteBefore(const gatehouse::v1::Route& a, const gatehouse::v1::Route& b);

class VirtualHostTable {
 public:
  // Who holds a host/type/path: the Ingress ("ns/name") and the rule path inside it.
  struct Claim {
    std::string source;
    std::string where;
  };

  // Makes sure `domain` has a virtual host, even without routes.
  void AddHost(const std::string& domain);
  // Adds `route` to `domain`, unless its match is already claimed: then returns the claim.
  std::optional<Claim> AddRoute(const std::string& domain, gatehouse::v1::Route route,
                                const std::string& where);
  // The route of `domain` with exactly this match, to make a canary of; null when none.
  gatehouse::v1::Route* FindRoute(const std::string& domain,
                                  const gatehouse::v1::RouteMatch& match);
  // Sets the default cluster of `domain` unless one is set already; returns whether it did.
  bool SetDefaultIfUnset(const std::string& domain, const std::string& cluster);
  // Whether `domain` is a host, or another host's alias.
  bool HasHost(const std::string& domain) const {
    return hosts_.count(domain) > 0 || aliases_.count(domain) > 0;
  }
  // Serves `alias` exactly as `domain` (server-alias), unless `alias` is a host or an alias
  // already; returns whether it did.
  bool AddAlias(const std::string& domain, const std::string& alias);
  // How many regex paths `domain` has.
  size_t RegexRoutes(const std::string& domain) const {
    auto it = hosts_.find(domain);
    return it == hosts_.end() ? 0 : it->second.regex_routes;
  }
  // Makes `domain`, unless it exists, a host that redirects every request to `target`
  // (from-to-www-redirect); returns whether it did.
  bool AddRedirectHost(const std::string& domain, const std::string& target);
  // Every host a certificate for `server_name` covers (itself, or one label under a wildcard)
  // redirects HTTP to HTTPS when `redirect`, and sends `hsts` over HTTPS.
  void SetTls(const std::string& server_name, bool redirect, const std::string& hsts);
  // A filter every request to `domain` (a host) passes, after its TLS filters and before its
  // routes' own: the host's client-certificate check.
  void AddHostFilter(const std::string& domain, gatehouse::v1::Filter filter);
  // Puts `filter` first in the chains of the routes of `domain` that `source` (an Ingress)
  // claimed.
  void AddFilterToRoutesOf(const std::string& domain, const std::string& source,
                           const gatehouse::v1::Filter& filter);
  // The names `domain` is served as: itself and its aliases.
  std::vector<std::string> NamesOf(const std::string& domain) const;
  // Every name a host is served as: the domains and their aliases.
  std::vector<std::string> ServedNames() const;

  // The route configuration: hosts sorted exact, then wildcard, then "*"; routes in match order.
  gatehouse::v1::RouteConfiguration Build(const std::string& name) const;

 private:
  using MatchKey = std::tuple<int, std::string>;  // path type, path
  struct Host {
    std::vector<gatehouse::v1::Route> routes;
    std::map<MatchKey, Claim> claims;
    std::map<MatchKey, size_t> route_of;  // index in `routes`
    std::string default_cluster;
    bool https_redirect = false;
    std::string hsts;
    std::vector<gatehouse::v1::Filter> host_filters;
    std::string redirect_to;  // a host that only redirects there
    std::vector<std::string> aliases;
    size_t regex_routes = 0;
  };
  std::map<std::string, Host> hosts_;
  std::map<std::string, std::string> aliases_;  // alias → its host
};

}  // namespace gatehouse::controlplane::translate
