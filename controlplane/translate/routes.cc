#include "controlplane/translate/routes.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/path_regex.h"
#include "controlplane/translate/route_filters.h"
#include "re2/re2.h"

namespace gatehouse::controlplane::translate {
namespace {

using gatehouse::v1::RouteMatch;

bool IsHostLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return label.front() != '-' && label.back() != '-';
}

int TypeRank(RouteMatch::PathType type) {
  switch (type) {
    case RouteMatch::EXACT:
      return 0;
    case RouteMatch::PREFIX:
      return 1;
    case RouteMatch::STRING_PREFIX:
      return 2;
    default:
      return 3;
  }
}

// Exact domains, then wildcard domains, then "*".
std::tuple<int, const std::string&> DomainOrder(const std::string& domain) {
  int rank = domain == kAnyHost ? 2 : absl::StartsWith(domain, "*.") ? 1 : 0;
  return {rank, domain};
}

}  // namespace

absl::StatusOr<std::string> DomainForHost(absl::string_view host) {
  if (host.empty()) return std::string(kAnyHost);
  std::string domain = absl::AsciiStrToLower(host);
  absl::string_view rest = domain;
  if (absl::StartsWith(rest, "*.")) rest.remove_prefix(2);
  if (rest.size() > 253) return absl::InvalidArgumentError("host is longer than 253 characters");
  size_t start = 0;
  while (true) {
    size_t dot = rest.find('.', start);
    absl::string_view label =
        rest.substr(start, dot == absl::string_view::npos ? dot : dot - start);
    if (!IsHostLabel(label)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host \"", host,
          "\" is not a DNS name (a wildcard may only be a leading \"*.\"; no port, no IP)"));
    }
    if (dot == absl::string_view::npos) break;
    start = dot + 1;
  }
  return domain;
}

absl::StatusOr<RouteMatch> MatchForPath(const objects::kube::HTTPIngressPath& path,
                                        bool use_regex) {
  RouteMatch match;
  std::string value = path.path().empty() ? "/" : path.path();
  const std::string& type = path.path_type();
  if (type == "Exact") {
    match.set_path_type(RouteMatch::EXACT);
  } else if (type == "Prefix") {
    match.set_path_type(RouteMatch::PREFIX);
    while (value.size() > 1 && value.back() == '/') value.pop_back();
  } else if (type == "ImplementationSpecific" && use_regex) {
    match.set_path_type(RouteMatch::REGEX);
    // Compiled as the data plane compiles it, within the same budget.
    if (absl::StatusOr<std::shared_ptr<const RE2>> regex = CompilePathRegex(value); !regex.ok()) {
      return regex.status();
    }
  } else if (type == "ImplementationSpecific") {
    match.set_path_type(RouteMatch::STRING_PREFIX);
  } else if (type.empty()) {
    return absl::InvalidArgumentError(
        "pathType is missing (want Exact, Prefix or ImplementationSpecific)");
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("pathType \"", type, "\" is not Exact, Prefix or ImplementationSpecific"));
  }
  if (value.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("path \"", value, "\" does not start with /"));
  }
  match.set_path(value);
  return match;
}

bool RouteBefore(const gatehouse::v1::Route& a, const gatehouse::v1::Route& b) {
  const RouteMatch& ma = a.match();
  const RouteMatch& mb = b.match();
  if (ma.path().size() != mb.path().size()) return ma.path().size() > mb.path().size();
  if (ma.path_type() != mb.path_type()) return TypeRank(ma.path_type()) < TypeRank(mb.path_type());
  if (ma.path() != mb.path()) return ma.path() < mb.path();
  return a.source() < b.source();
}

void VirtualHostTable::AddHost(const std::string& domain) { hosts_[domain]; }

std::optional<VirtualHostTable::Claim> VirtualHostTable::AddRoute(const std::string& domain,
                                                                  gatehouse::v1::Route route,
                                                                  const std::string& where) {
  Host& host = hosts_[domain];
  MatchKey key{route.match().path_type(), route.match().path()};
  auto [it, inserted] = host.claims.try_emplace(key, Claim{route.source(), where});
  if (!inserted) return it->second;
  if (route.match().path_type() == RouteMatch::REGEX) ++host.regex_routes;
  host.route_of.emplace(key, host.routes.size());
  host.routes.push_back(std::move(route));
  return std::nullopt;
}

gatehouse::v1::Route* VirtualHostTable::FindRoute(const std::string& domain,
                                                  const gatehouse::v1::RouteMatch& match) {
  auto host = hosts_.find(domain);
  if (host == hosts_.end()) return nullptr;
  auto index = host->second.route_of.find(MatchKey{match.path_type(), match.path()});
  return index == host->second.route_of.end() ? nullptr : &host->second.routes[index->second];
}

bool VirtualHostTable::AddAlias(const std::string& domain, const std::string& alias) {
  if (HasHost(alias) || hosts_.count(domain) == 0) return false;
  aliases_.emplace(alias, domain);
  hosts_[domain].aliases.push_back(alias);
  return true;
}

bool VirtualHostTable::AddRedirectHost(const std::string& domain, const std::string& target) {
  if (aliases_.count(domain) > 0) return false;
  auto [it, inserted] = hosts_.try_emplace(domain);
  if (inserted) it->second.redirect_to = target;
  return inserted;
}

bool VirtualHostTable::SetDefaultIfUnset(const std::string& domain, const std::string& cluster) {
  Host& host = hosts_[domain];
  if (!host.default_cluster.empty()) return false;
  host.default_cluster = cluster;
  return true;
}

void VirtualHostTable::SetTls(const std::string& server_name, bool redirect,
                              const std::string& hsts) {
  absl::string_view wildcard_parent = server_name;
  bool wildcard = absl::ConsumePrefix(&wildcard_parent, "*");
  for (auto& [domain, host] : hosts_) {
    bool covered = domain == server_name;
    if (!covered && wildcard && domain != kAnyHost && !absl::StartsWith(domain, "*.")) {
      size_t dot = domain.find('.');
      covered =
          dot != std::string::npos && absl::string_view(domain).substr(dot) == wildcard_parent;
    }
    if (!covered) continue;
    host.https_redirect = host.https_redirect || redirect;
    host.hsts = hsts;
  }
}

void VirtualHostTable::AddHostFilter(const std::string& domain, gatehouse::v1::Filter filter) {
  auto it = hosts_.find(domain);
  if (it != hosts_.end()) it->second.host_filters.push_back(std::move(filter));
}

void VirtualHostTable::AddFilterToRoutesOf(const std::string& domain, const std::string& source,
                                           const gatehouse::v1::Filter& filter) {
  auto host = hosts_.find(domain);
  if (host == hosts_.end()) return;
  for (const auto& [key, claim] : host->second.claims) {
    if (claim.source != source) continue;
    auto index = host->second.route_of.find(key);
    if (index == host->second.route_of.end()) continue;
    auto* filters = host->second.routes[index->second].mutable_filters();
    filters->Add()->CopyFrom(filter);
    std::rotate(filters->begin(), filters->end() - 1, filters->end());
  }
}

std::vector<std::string> VirtualHostTable::NamesOf(const std::string& domain) const {
  std::vector<std::string> names = {domain};
  if (auto it = hosts_.find(domain); it != hosts_.end()) {
    names.insert(names.end(), it->second.aliases.begin(), it->second.aliases.end());
  }
  return names;
}

std::vector<std::string> VirtualHostTable::ServedNames() const {
  std::vector<std::string> names;
  for (const auto& [domain, host] : hosts_) {
    names.push_back(domain);
    names.insert(names.end(), host.aliases.begin(), host.aliases.end());
  }
  return names;
}

gatehouse::v1::RouteConfiguration VirtualHostTable::Build(const std::string& name) const {
  std::vector<const std::string*> domains;
  for (const auto& [domain, host] : hosts_) domains.push_back(&domain);
  std::sort(domains.begin(), domains.end(), [](const std::string* a, const std::string* b) {
    return DomainOrder(*a) < DomainOrder(*b);
  });
  gatehouse::v1::RouteConfiguration config;
  config.set_name(name);
  for (const std::string* domain : domains) {
    const Host& host = hosts_.at(*domain);
    gatehouse::v1::VirtualHost& vhost = *config.add_virtual_hosts();
    vhost.set_name(*domain);
    vhost.add_domains(*domain);
    for (const std::string& alias : host.aliases) vhost.add_domains(alias);
    std::vector<gatehouse::v1::Route> routes = host.routes;
    std::sort(routes.begin(), routes.end(), RouteBefore);
    // The host's TLS filters come first in each of its chains: a redirect is answered before
    // anything else looks at the request.
    std::vector<gatehouse::v1::Filter> tls = TlsFilters(host.https_redirect, host.hsts);
    tls.insert(tls.end(), host.host_filters.begin(), host.host_filters.end());
    for (auto& route : routes) {
      gatehouse::v1::Route& added = *vhost.add_routes();
      added = std::move(route);
      if (tls.empty()) continue;
      google::protobuf::RepeatedPtrField<gatehouse::v1::Filter> chain(tls.begin(), tls.end());
      chain.MergeFrom(added.filters());
      added.mutable_filters()->Swap(&chain);
    }
    vhost.set_default_cluster(host.default_cluster);
    for (const auto& filter : tls) *vhost.add_filters() = filter;
    if (!host.redirect_to.empty()) *vhost.add_filters() = HostRedirectFilter(host.redirect_to);
    for (auto& filter : DefaultFilters()) *vhost.add_filters() = std::move(filter);
  }
  return config;
}

}  // namespace gatehouse::controlplane::translate
