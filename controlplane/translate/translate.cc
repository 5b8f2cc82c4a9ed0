#include "controlplane/translate/translate.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/path_regex.h"
#include "common/path_rewrite.h"
#include "controlplane/translate/annotation_report.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/backends.h"
#include "controlplane/translate/basic_auth.h"
#include "controlplane/translate/canary.h"
#include "controlplane/translate/class_selection.h"
#include "controlplane/translate/client_certificates.h"
#include "controlplane/translate/endpoints.h"
#include "controlplane/translate/error_pages.h"
#include "controlplane/translate/external_auth.h"
#include "controlplane/translate/mirror.h"
#include "controlplane/translate/passthrough.h"
#include "controlplane/translate/route_filters.h"
#include "controlplane/translate/routes.h"
#include "controlplane/translate/tls_secret.h"

namespace gatehouse::controlplane::translate {
namespace {

using objects::kube::Ingress;

// What one Ingress contributed, to become its report.
struct IngressOutcome {
  std::vector<std::string> reasons;
  std::vector<CertificateExpiry> certificates;
  bool contributed = false;  // at least one route or default backend is served
};

// Oldest first: creationTimestamp (RFC 3339, so string order is time order; unset counts as
// newest), then namespace/name.
bool OlderThan(const Ingress* a, const Ingress* b) {
  const std::string& ta = a->metadata().creation_timestamp();
  const std::string& tb = b->metadata().creation_timestamp();
  if (ta != tb) {
    if (ta.empty() || tb.empty()) return tb.empty();
    return ta < tb;
  }
  return std::tie(a->metadata().namespace_(), a->metadata().name()) <
         std::tie(b->metadata().namespace_(), b->metadata().name());
}

std::string SourceName(const Ingress& ingress) {
  return absl::StrCat(ingress.metadata().namespace_(), "/", ingress.metadata().name());
}

std::string PathWhere(int rule, int path) {
  return absl::StrCat("rules[", rule, "].http.paths[", path, "]");
}

class Translator {
 public:
  Translator(const objects::ObjectStore& world, const TranslateOptions& options)
      : world_(world), options_(options) {}

  TranslateResult Run() {
    std::vector<const Ingress*> ours;
    for (const auto& [name, ingress] : world_.ingresses()) {
      ClassDecision decision = options_.every_class
                                   ? ClassDecision{true, ""}
                                   : SelectClass(ingress, world_.ingress_classes(), options_);
      if (decision.ours) {
        ours.push_back(&ingress);
      } else {
        ignored_[name] = decision.reason;
      }
    }
    std::sort(ours.begin(), ours.end(), OlderThan);
    if (options_.host_ownership == HostOwnership::kFirstNamespace) {
      for (const Ingress* ingress : ours) ClaimHosts(*ingress);
    }
    // Canaries only split their primaries' routes: nothing else of them is served.
    std::vector<const Ingress*> primaries;
    std::vector<const Ingress*> canaries;
    std::vector<const Ingress*> passthroughs;
    for (const Ingress* ingress : ours) {
      by_source_[SourceName(*ingress)] = ingress;
      const IngressAnnotations& values = AnnotationsOf(*ingress).values;
      (values.ssl_passthrough  ? passthroughs
       : values.canary.enabled ? canaries
                               : primaries)
          .push_back(ingress);
    }
    for (const Ingress* ingress : passthroughs) AddPassthrough(*ingress);
    for (const Ingress* ingress : primaries) AddRules(*ingress);
    for (const Ingress* ingress : canaries) AddCanary(*ingress);
    for (const Ingress* ingress : primaries) AddAliases(*ingress);
    for (const Ingress* ingress : primaries) AddWwwRedirects(*ingress);
    for (const Ingress* ingress : primaries) AddDefaultBackend(*ingress);
    for (const Ingress* ingress : ours) AddTls(*ingress);
    for (const Ingress* ingress : primaries) AddClientCertificates(*ingress);
    for (const auto& [domain, filter] : client_certificates_.Filters()) {
      table_.AddHostFilter(domain, filter);
    }
    client_certificates_.DenyHostlessRoutes(&table_);
    AddDefaultCertificate();
    AddControllerDefault();

    for (const Ingress* ingress : primaries) {
      if (!AnnotationsOf(*ingress).values.use_regex) continue;
      for (const std::string& domain : hosts_of_[ingress]) {
        regex_hosts_.try_emplace(domain, SourceName(*ingress));
      }
    }

    TranslateResult result;
    for (const auto& [name, ingress] : world_.ingresses()) {
      result.reports.push_back(Report(name, ingress));
    }
    result.warnings = std::move(warnings_);
    BuildResources(&result.resources);
    result.cluster_targets = std::move(clusters_);
    return result;
  }

 private:
  // The Ingress's annotations, parsed once per translation (header maps are YAML).
  const ParsedAnnotations& AnnotationsOf(const Ingress& ingress) {
    auto [it, inserted] = annotations_.try_emplace(&ingress);
    if (inserted) {
      it->second = ParseAnnotations(ingress);
      IngressAnnotations& values = it->second.values;
      if (values.ssl_passthrough && !options_.enable_ssl_passthrough) {
        values.ssl_passthrough = false;
        values.ssl_passthrough_disabled = true;
      }
      if (!values.access.allow.has_value()) values.access.allow = options_.allowlist_source_range;
      if (!values.access.deny.has_value()) values.access.deny = options_.denylist_source_range;
      if (values.access.rate_limit.has_value()) {
        values.access.rate_limit->set_request_status(options_.limit_req_status);
        values.access.rate_limit->set_connection_status(options_.limit_conn_status);
      }
    }
    return it->second;
  }

  // The Ingress's annotations, the values that could not be read reported on it.
  const ParsedAnnotations& AnnotationsReportedOn(const Ingress& ingress, IngressOutcome& outcome) {
    const ParsedAnnotations& annotations = AnnotationsOf(ingress);
    outcome.reasons.insert(outcome.reasons.end(), annotations.errors.begin(),
                           annotations.errors.end());
    return annotations;
  }

  // ssl-passthrough: the Ingress's exact hosts, SNI-routed to their "/" path's backend. The
  // oldest Ingress passing a host through has it.
  void AddPassthrough(const Ingress& ingress) {
    IngressOutcome& outcome = outcomes_[&ingress];
    const std::string& ns = ingress.metadata().namespace_();
    std::string source = SourceName(ingress);
    AnnotationsReportedOn(ingress, outcome);
    for (PassthroughHost& host :
         PassthroughHostsOf(ingress, world_, &clusters_, &outcome.reasons)) {
      if (std::string not_owner = NotOwner(host.domain, ns); !not_owner.empty()) {
        outcome.reasons.push_back(not_owner);
        continue;
      }
      auto [it, inserted] = passthrough_.try_emplace(host.domain, host.cluster, source);
      if (!inserted) {
        outcome.reasons.push_back(absl::StrCat(
            "host ", host.domain, " is passed through already by ", it->second.second, " (older)"));
        continue;
      }
      outcome.contributed = true;
    }
  }

  // --host-ownership=first-namespace: the hosts `ingress` names (rules and spec.tls) go to its
  // namespace unless an older Ingress's namespace has them. Called oldest first.
  void ClaimHosts(const Ingress& ingress) {
    const std::string& ns = ingress.metadata().namespace_();
    for (const objects::kube::IngressRule& rule : ingress.spec().rules()) {
      absl::StatusOr<std::string> domain = DomainForHost(rule.host());
      if (domain.ok()) host_owners_.try_emplace(*domain, ns);
    }
    for (const objects::kube::IngressTLS& tls : ingress.spec().tls()) {
      for (const std::string& host : tls.hosts()) {
        absl::StatusOr<std::string> domain = DomainForHost(host);
        if (domain.ok()) host_owners_.try_emplace(*domain, ns);
      }
    }
  }

  // Why `ns` may not serve `domain`, or "" when it may.
  std::string NotOwner(const std::string& domain, const std::string& ns) const {
    auto owner = host_owners_.find(domain);
    if (owner == host_owners_.end() || owner->second == ns) return "";
    return absl::StrCat("host ", domain, " belongs to namespace ", owner->second,
                        ", whose Ingress named it first (--host-ownership=first-namespace)");
  }

  void AddRules(const Ingress& ingress) {
    IngressOutcome& outcome = outcomes_[&ingress];
    const std::string& ns = ingress.metadata().namespace_();
    std::string source = SourceName(ingress);
    // This Ingress's annotations apply to its own paths only, never to its neighbours'.
    const ParsedAnnotations& annotations = AnnotationsReportedOn(ingress, outcome);
    bool use_regex = annotations.values.use_regex;
    std::optional<gatehouse::v1::RequestMirror> mirror;
    if (annotations.values.mirror.has_value()) {
      std::string problem;
      mirror = MirrorFor(ns, *annotations.values.mirror, world_, &clusters_, &problem);
      if (!problem.empty()) outcome.reasons.push_back(std::move(problem));
    }
    ResolvedAccess access;
    if (annotations.values.access.basic_auth.has_value()) {
      size_t paths = 0;
      for (const objects::kube::IngressRule& rule : ingress.spec().rules()) {
        paths += rule.http().paths_size();
      }
      access.basic_auth =
          BasicAuthFor(*annotations.values.access.basic_auth, paths, world_, &outcome.reasons);
    }
    if (annotations.values.access.external_auth.has_value()) {
      access.external_auth = ExternalAuthFor(ns, options_.auth_service_namespaces,
                                             *annotations.values.access.external_auth, world_,
                                             &clusters_, &outcome.reasons);
    }
    for (int r = 0; r < ingress.spec().rules_size(); ++r) {
      const objects::kube::IngressRule& rule = ingress.spec().rules(r);
      absl::StatusOr<std::string> domain = DomainForHost(rule.host());
      if (!domain.ok()) {
        outcome.reasons.push_back(absl::StrCat("rules[", r, "]: ", domain.status().message()));
        continue;
      }
      if (std::string not_owner = NotOwner(*domain, ns); !not_owner.empty()) {
        outcome.reasons.push_back(absl::StrCat("rules[", r, "]: ", not_owner));
        continue;
      }
      hosts_of_[&ingress].push_back(*domain);
      table_.AddHost(*domain);
      for (int p = 0; p < rule.http().paths_size(); ++p) {
        const objects::kube::HTTPIngressPath& path = rule.http().paths(p);
        std::string where = PathWhere(r, p);
        absl::StatusOr<gatehouse::v1::RouteMatch> match = MatchForPath(path, use_regex);
        if (!match.ok()) {
          outcome.reasons.push_back(absl::StrCat(where, ": ", match.status().message()));
          continue;
        }
        ResolvedBackend backend =
            ApplyUpstreamAnnotations(ResolveIngressBackend(ns, path.backend(), world_, &clusters_),
                                     annotations.values.upstream, world_, &clusters_);
        if (!backend.problem.empty()) {
          outcome.reasons.push_back(absl::StrCat(where, ": ", backend.problem));
        }
        if (backend.cluster.empty()) continue;
        if (match->path_type() == gatehouse::v1::RouteMatch::REGEX &&
            table_.RegexRoutes(*domain) >= kMaxRegexPathsPerHost) {
          outcome.reasons.push_back(absl::StrCat(where, ": host ", *domain, " already has ",
                                                 kMaxRegexPathsPerHost,
                                                 " regex paths, the most one host may have"));
          continue;
        }
        gatehouse::v1::Route route;
        route.set_source(source);
        *route.mutable_match() = *match;
        route.set_cluster(backend.cluster);
        *route.mutable_load_balancing() = annotations.values.load_balancing;
        if (annotations.values.timeouts.ByteSizeLong() > 0) {
          *route.mutable_timeouts() = annotations.values.timeouts;
        }
        if (annotations.values.retry.has_value()) {
          *route.mutable_retry() = *annotations.values.retry;
        }
        std::string pages_problem;
        if (std::optional<gatehouse::v1::ErrorPages> pages =
                ErrorPagesFor(ingress, annotations.values, path.backend().service(), world_,
                              options_, &clusters_, &pages_problem)) {
          *route.mutable_error_pages() = *std::move(pages);
        } else if (!pages_problem.empty()) {
          outcome.reasons.push_back(absl::StrCat(where, ": ", pages_problem));
        }
        if (mirror.has_value()) *route.add_mirrors() = *mirror;
        AddRouteFilters(
            annotations.values, access,
            absl::StrCat(*domain, " ", gatehouse::v1::RouteMatch::PathType_Name(match->path_type()),
                         " ", match->path()),
            route);
        if (!annotations.values.rewrite_target.empty()) {
          // The path as written is the rewrite's regex, as in ingress-nginx; checked as a data
          // plane compiles it.
          std::string pattern = path.path().empty() ? "/" : path.path();
          absl::StatusOr<PathRewrite> rewrite =
              PathRewrite::Compile(pattern, annotations.values.rewrite_target);
          if (!rewrite.ok()) {
            outcome.reasons.push_back(
                absl::StrCat(where, ": annotation rewrite-target: ", rewrite.status().message(),
                             "; the path is not served"));
            continue;
          }
          AddRewriteFilter(pattern, annotations.values.rewrite_target, route);
        }
        std::optional<VirtualHostTable::Claim> claim =
            table_.AddRoute(*domain, std::move(route), where);
        if (claim.has_value()) {
          outcome.reasons.push_back(absl::StrCat(
              where, ": ", path.path_type(), " ", match->path(), " on host ", *domain,
              " is already served by ",
              claim->source == source ? claim->where : absl::StrCat(claim->source, " (older)")));
          continue;
        }
        outcome.contributed = true;
      }
    }
  }

  // canary: each path of the Ingress splits the route of the same host, path type and path of
  // an Ingress of its namespace (its primary), with the canary's backend. Only the canary's
  // canary and balancing annotations count; the route keeps the primary's filters.
  void AddCanary(const Ingress& ingress) {
    IngressOutcome& outcome = outcomes_[&ingress];
    const ParsedAnnotations& annotations = AnnotationsReportedOn(ingress, outcome);
    if (ingress.spec().has_default_backend()) {
      outcome.reasons.push_back("defaultBackend: not used: a canary splits its rules' paths only");
    }
    for (int r = 0; r < ingress.spec().rules_size(); ++r) {
      const objects::kube::IngressRule& rule = ingress.spec().rules(r);
      absl::StatusOr<std::string> domain = DomainForHost(rule.host());
      if (!domain.ok()) {
        outcome.reasons.push_back(absl::StrCat("rules[", r, "]: ", domain.status().message()));
        continue;
      }
      hosts_of_[&ingress].push_back(*domain);
      for (int p = 0; p < rule.http().paths_size(); ++p) {
        const objects::kube::HTTPIngressPath& path = rule.http().paths(p);
        std::string where = PathWhere(r, p);
        std::string why = AddCanaryPath(ingress, *domain, path, annotations.values);
        if (why.empty()) {
          outcome.contributed = true;
        } else {
          outcome.reasons.push_back(absl::StrCat(where, ": ", why));
        }
      }
    }
  }

  // One canary path; returns why it is not served, or "".
  std::string AddCanaryPath(const Ingress& ingress, const std::string& domain,
                            const objects::kube::HTTPIngressPath& path,
                            const IngressAnnotations& annotations) {
    absl::StatusOr<gatehouse::v1::RouteMatch> match = MatchForPath(path, annotations.use_regex);
    if (!match.ok()) return std::string(match.status().message());
    gatehouse::v1::Route* route = table_.FindRoute(domain, *match);
    if (route == nullptr && path.path_type() == "ImplementationSpecific") {
      // The primary decides whether the path is a regex.
      if (auto other = MatchForPath(path, !annotations.use_regex); other.ok()) {
        route = table_.FindRoute(domain, *other);
      }
    }
    std::string what = absl::StrCat(path.path_type(), " ", match->path(), " on host ", domain);
    if (route == nullptr) {
      return absl::StrCat("canary: no Ingress serves ", what, "; a canary needs a primary there");
    }
    const Ingress* primary = by_source_.at(route->source());
    const std::string& ns = ingress.metadata().namespace_();
    if (primary->metadata().namespace_() != ns) {
      return absl::StrCat("canary: ", what, " is served by ", route->source(),
                          ", of another namespace; a canary must be in its primary's");
    }
    // The backend is reached as the primary's annotations say (backend-protocol, proxy-ssl-*).
    ResolvedBackend backend =
        ApplyUpstreamAnnotations(ResolveIngressBackend(ns, path.backend(), world_, &clusters_),
                                 AnnotationsOf(*primary).values.upstream, world_, &clusters_);
    if (backend.cluster.empty()) return backend.problem;
    std::string why =
        AttachCanary(annotations.canary, backend.cluster, annotations.load_balancing, *route);
    if (!why.empty()) return absl::StrCat("canary: ", what, " is not split: ", why);
    primary_of_.try_emplace(&ingress, primary);
    return backend.problem;
  }

  // server-alias: more names for the Ingress's first host, each unless it is a host of its own
  // (which wins, as in ingress-nginx) or an older Ingress's alias.
  void AddAliases(const Ingress& ingress) {
    const std::vector<std::string>& aliases = AnnotationsOf(ingress).values.server_aliases;
    if (aliases.empty()) return;
    IngressOutcome& outcome = outcomes_[&ingress];
    const std::string* host = nullptr;
    for (const std::string& domain : hosts_of_[&ingress]) {
      if (domain != kAnyHost) {
        host = &domain;
        break;
      }
    }
    if (host == nullptr) {
      outcome.reasons.push_back("annotation server-alias: the Ingress has no host to alias");
      return;
    }
    const std::string& ns = ingress.metadata().namespace_();
    for (const std::string& alias : aliases) {
      if (std::string not_owner = NotOwner(alias, ns); !not_owner.empty()) {
        outcome.reasons.push_back(absl::StrCat("annotation server-alias: ", not_owner));
      } else if (!table_.AddAlias(*host, alias)) {
        outcome.reasons.push_back(absl::StrCat("annotation server-alias: ", alias,
                                               " is a host of its own or another Ingress's "
                                               "alias; left out"));
      }
    }
  }

  // from-to-www-redirect: the www. twin of each of the Ingress's hosts (or the bare host of a
  // www. one) redirects to it, unless some Ingress serves that twin itself.
  void AddWwwRedirects(const Ingress& ingress) {
    if (!AnnotationsOf(ingress).values.redirects.from_to_www) return;
    IngressOutcome& outcome = outcomes_[&ingress];
    const std::string& ns = ingress.metadata().namespace_();
    for (const std::string& domain : hosts_of_[&ingress]) {
      if (domain == kAnyHost || absl::StartsWith(domain, "*.")) continue;
      std::string twin =
          absl::StartsWith(domain, "www.") ? domain.substr(4) : absl::StrCat("www.", domain);
      if (twin.find('.') == std::string::npos) continue;  // "www.com" has no bare twin to use
      std::string reason;
      if (std::string not_owner = NotOwner(twin, ns); !not_owner.empty()) {
        reason = not_owner;
      } else if (!table_.AddRedirectHost(twin, domain)) {
        if (redirect_hosts_.count(twin) > 0) continue;  // made by an older Ingress already
        reason = absl::StrCat("host ", twin, " is served by its own rules");
      } else {
        redirect_hosts_.insert(twin);
        continue;
      }
      outcome.reasons.push_back(absl::StrCat("annotation from-to-www-redirect: ", reason,
                                             "; it is not redirected to ", domain));
    }
  }

  // An Ingress's defaultBackend serves the hosts of its rules that have no default yet, and the
  // "*" host when it is the oldest Ingress with one.
  void AddDefaultBackend(const Ingress& ingress) {
    if (!ingress.spec().has_default_backend()) return;
    IngressOutcome& outcome = outcomes_[&ingress];
    ResolvedBackend backend = ApplyUpstreamAnnotations(
        ResolveIngressBackend(ingress.metadata().namespace_(), ingress.spec().default_backend(),
                              world_, &clusters_),
        AnnotationsOf(ingress).values.upstream, world_, &clusters_);
    if (!backend.problem.empty()) {
      outcome.reasons.push_back(absl::StrCat("defaultBackend: ", backend.problem));
    }
    if (backend.cluster.empty()) return;
    bool used = NotOwner(std::string(kAnyHost), ingress.metadata().namespace_()).empty() &&
                table_.SetDefaultIfUnset(std::string(kAnyHost), backend.cluster);
    for (const std::string& domain : hosts_of_[&ingress]) {
      used = table_.SetDefaultIfUnset(domain, backend.cluster) || used;
    }
    if (used) {
      outcome.contributed = true;
    } else {
      outcome.reasons.push_back(
          "defaultBackend: not used, older Ingresses already set the default of all its hosts");
    }
  }

  // spec.tls: each entry's Secret, checked, serves its hosts (the Ingress's rule hosts when it
  // lists none) on the https listener. A host's certificate is the oldest Ingress's; a Secret
  // that is missing or unusable leaves its hosts on plain HTTP, and the Ingress says why.
  void AddTls(const Ingress& ingress) {
    IngressOutcome& outcome = outcomes_[&ingress];
    const std::string& ns = ingress.metadata().namespace_();
    const bool redirect = AnnotationsOf(ingress).values.ssl_redirect;
    for (int t = 0; t < ingress.spec().tls_size(); ++t) {
      const objects::kube::IngressTLS& tls = ingress.spec().tls(t);
      std::string where = absl::StrCat("tls[", t, "]");
      if (tls.secret_name().empty()) {
        outcome.reasons.push_back(absl::StrCat(where, ": no secretName"));
        continue;
      }
      std::string secret_id = absl::StrCat(ns, "/", tls.secret_name());
      auto secret = world_.secrets().find({ns, tls.secret_name()});
      absl::Status usable = secret == world_.secrets().end()
                                ? absl::NotFoundError("does not exist")
                                : CheckedSecret(secret_id, secret->second);
      if (!usable.ok()) {
        outcome.reasons.push_back(absl::StrCat(where, ": secret ", secret_id, " ", usable.message(),
                                               "; its hosts are served over plain HTTP only"));
        continue;
      }
      absl::StatusOr<absl::Time> not_after =
          CertificateNotAfter(secret->second.data().at("tls.crt"));
      if (not_after.ok()) outcome.certificates.push_back({where, secret_id, *not_after});
      std::vector<std::string> domains;
      for (const std::string& host : tls.hosts()) {
        absl::StatusOr<std::string> domain = DomainForHost(host);
        std::string not_owner;
        if (domain.ok() && *domain != kAnyHost && !(not_owner = NotOwner(*domain, ns)).empty()) {
          outcome.reasons.push_back(absl::StrCat(where, ": ", not_owner));
        } else if (domain.ok() && *domain != kAnyHost) {
          domains.push_back(*domain);
        } else {
          outcome.reasons.push_back(
              absl::StrCat(where, ": host \"", host, "\" ",
                           domain.ok() ? "is empty" : std::string(domain.status().message())));
        }
      }
      if (tls.hosts().empty()) {
        for (const std::string& domain : hosts_of_[&ingress]) {
          if (domain != kAnyHost) domains.push_back(domain);
        }
      }
      for (const std::string& domain : domains) {
        auto [owner, claimed] = server_names_.try_emplace(domain, secret_id);
        if (!claimed && owner->second != secret_id) {
          outcome.reasons.push_back(absl::StrCat(where, ": host ", domain,
                                                 " already has the certificate of ", owner->second,
                                                 " (older)"));
          continue;
        }
        gatehouse::v1::TlsCertificate& certificate = certificates_[secret_id];
        if (certificate.name().empty()) {
          certificate.set_name(secret_id);
          certificate.set_certificate_chain(secret->second.data().at("tls.crt"));
          certificate.set_private_key(secret->second.data().at("tls.key"));
        }
        if (claimed) {
          certificate.add_server_names(domain);
          table_.SetTls(domain, redirect, options_.hsts);
        }
      }
    }
  }

  // auth-tls-*: the Ingress's hosts ask for client certificates.
  void AddClientCertificates(const Ingress& ingress) {
    const auto& settings = AnnotationsOf(ingress).values.access.client_cert;
    if (!settings.has_value()) return;
    client_certificates_.Add(SourceName(ingress), *settings, hosts_of_[&ingress],
                             &outcomes_[&ingress].reasons);
  }

  // CheckTlsSecret, once per Secret however many Ingresses name it.
  absl::Status CheckedSecret(const std::string& id, const objects::kube::Secret& secret) {
    auto [it, inserted] = checked_secrets_.try_emplace(id);
    if (inserted) it->second = CheckTlsSecret(secret);
    return it->second;
  }

  void AddDefaultCertificate() {
    if (!options_.default_tls_secret.has_value()) return;
    const objects::NamespacedName& name = *options_.default_tls_secret;
    std::string id = name.ToString();
    auto secret = world_.secrets().find(name);
    absl::Status usable = secret == world_.secrets().end() ? absl::NotFoundError("does not exist")
                                                           : CheckedSecret(id, secret->second);
    if (!usable.ok()) {
      warnings_.push_back(absl::StrCat("--default-tls-secret: ", id, " ", usable.message(),
                                       "; the data planes' own certificate is used"));
      return;
    }
    default_certificate_.emplace();
    default_certificate_->set_name(id);
    default_certificate_->set_certificate_chain(secret->second.data().at("tls.crt"));
    default_certificate_->set_private_key(secret->second.data().at("tls.key"));
  }

  void AddControllerDefault() {
    if (!options_.default_backend.has_value()) return;
    ResolvedBackend backend = ResolveBackendRef(*options_.default_backend, world_, &clusters_);
    if (!backend.problem.empty()) {
      warnings_.push_back(absl::StrCat("--default-backend: ", backend.problem));
    }
    if (backend.cluster.empty()) return;
    table_.SetDefaultIfUnset(std::string(kAnyHost), backend.cluster);
    for (const auto& [ingress, domains] : hosts_of_) {
      for (const std::string& domain : domains) table_.SetDefaultIfUnset(domain, backend.cluster);
    }
  }

  // Where ingress-nginx would match the Ingress's paths otherwise: it makes every path of a host
  // a regex when any Ingress on the host sets use-regex or rewrite-target, where Gatehouse keeps
  // that to the Ingress that asks. Exact paths and "/" match the same either way.
  std::vector<std::string> RegexScopeDifferences(const Ingress& ingress) {
    std::vector<std::string> out;
    const IngressAnnotations& values = AnnotationsOf(ingress).values;
    if (values.use_regex || values.canary.enabled) return out;
    for (int r = 0; r < ingress.spec().rules_size(); ++r) {
      const objects::kube::IngressRule& rule = ingress.spec().rules(r);
      absl::StatusOr<std::string> domain = DomainForHost(rule.host());
      if (!domain.ok()) continue;
      auto regex_host = regex_hosts_.find(*domain);
      if (regex_host == regex_hosts_.end()) continue;
      for (int p = 0; p < rule.http().paths_size(); ++p) {
        const objects::kube::HTTPIngressPath& path = rule.http().paths(p);
        if (path.path_type() == "Exact" || path.path().empty() || path.path() == "/") continue;
        out.push_back(absl::StrCat(
            PathWhere(r, p), ": ingress-nginx would match ", path.path_type(), " ",
            QuoteForMessage(path.path()),
            " as a case-insensitive regex (so also longer paths "
            "that merely start with it), because ",
            regex_host->second, " on host ", *domain,
            " sets use-regex or rewrite-target; Gatehouse keeps that to the Ingress that asks "
            "and matches this path as written"));
      }
    }
    return out;
  }

  IngressReport Report(const objects::NamespacedName& name, const Ingress& ingress) {
    IngressReport report;
    report.ns = name.ns;
    report.name = name.name;
    report.uid = ingress.metadata().uid();
    if (auto it = ignored_.find(name); it != ignored_.end()) {
      report.state = IngressReport::State::kIgnored;
      report.reasons.push_back(it->second);
      return report;
    }
    auto it = outcomes_.find(&ingress);
    IngressOutcome outcome = it == outcomes_.end() ? IngressOutcome{} : it->second;
    if (ingress.spec().rules().empty() && !ingress.spec().has_default_backend()) {
      outcome.reasons.push_back("no rules and no defaultBackend");
    }
    report.reasons = outcome.reasons;
    report.certificates = outcome.certificates;
    auto primary = primary_of_.find(&ingress);
    report.annotations =
        ReportAnnotations(ingress, AnnotationsOf(ingress).values, outcome.reasons,
                          primary == primary_of_.end() ? nullptr : primary->second);
    report.differences = RegexScopeDifferences(ingress);
    if (outcome.reasons.empty()) {
      report.state = IngressReport::State::kAccepted;
    } else {
      report.state = outcome.contributed ? IngressReport::State::kPartlyAccepted
                                         : IngressReport::State::kRejected;
    }
    return report;
  }

  void BuildResources(ConfigResources* out) const {
    for (const auto& [name, target] : clusters_) {
      gatehouse::v1::Cluster& cluster = out->clusters.emplace_back();
      cluster.set_name(name);
      cluster.set_connect_timeout_ms(kConnectTimeoutMs);
      cluster.set_protocol(target.protocol);
      if (target.tls.has_value()) *cluster.mutable_tls() = *target.tls;
      out->load_assignments.push_back(BuildLoadAssignment(name, target, world_));
    }
    gatehouse::v1::Listener& listener = out->listeners.emplace_back();
    listener.set_name(std::string(kHttpListener));
    listener.set_route_config_name(std::string(kHttpRouteConfig));
    // HTTPS serves the same routes; its certificates are picked by SNI.
    gatehouse::v1::Listener& https = out->listeners.emplace_back();
    https.set_name(std::string(kHttpsListener));
    https.set_route_config_name(std::string(kHttpRouteConfig));
    for (const auto& [id, certificate] : certificates_) {
      gatehouse::v1::TlsCertificate& added = *https.add_certificates() = certificate;
      std::sort(added.mutable_server_names()->begin(), added.mutable_server_names()->end());
    }
    if (default_certificate_.has_value())
      *https.mutable_default_certificate() = *default_certificate_;
    std::vector<gatehouse::v1::ClientValidation> validations = client_certificates_.Validations(
        [this](const std::string& domain) { return table_.NamesOf(domain); });
    for (const std::string& name :
         ClientCertificateHosts::UncheckedNames(validations, table_.ServedNames())) {
      https.add_unchecked_server_names(name);
    }
    for (auto& validation : validations) *https.add_client_validations() = std::move(validation);
    for (const auto& [domain, target] : passthrough_) {
      gatehouse::v1::Passthrough& entry = *https.add_passthrough();
      entry.set_server_name(domain);
      entry.set_cluster(target.first);
    }
    out->route_configs.push_back(table_.Build(std::string(kHttpRouteConfig)));
  }

  const objects::ObjectStore& world_;
  const TranslateOptions& options_;
  std::map<objects::NamespacedName, std::string> ignored_;  // Ingress → why not ours
  std::map<const Ingress*, IngressOutcome> outcomes_;
  std::map<const Ingress*, std::vector<std::string>> hosts_of_;  // domains of its valid rules
  VirtualHostTable table_;
  ClientCertificateHosts client_certificates_{world_};
  ClusterTargets clusters_;
  std::vector<std::string> warnings_;
  std::map<std::string, gatehouse::v1::TlsCertificate> certificates_;  // by "ns/secret"
  std::map<std::string, std::string> server_names_;  // domain → the Secret whose cert serves it
  std::map<std::string, absl::Status> checked_secrets_;
  std::optional<gatehouse::v1::TlsCertificate> default_certificate_;
  std::map<std::string, std::string> host_owners_;  // domain → namespace (first-namespace only)
  std::map<const Ingress*, ParsedAnnotations> annotations_;
  std::set<std::string> redirect_hosts_;                 // hosts made by from-to-www-redirect
  std::map<std::string, const Ingress*> by_source_;      // "ns/name" → our Ingress
  std::map<const Ingress*, const Ingress*> primary_of_;  // canary → the first it splits
  std::map<std::string, std::string> regex_hosts_;       // domain → an Ingress with use-regex
  // domain → (cluster, "ns/name" of the Ingress passing it through)
  std::map<std::string, std::pair<std::string, std::string>> passthrough_;
};

}  // namespace

std::vector<size_t> RetranslateEndpoints(const objects::ObjectStore& world,
                                         const std::set<objects::NamespacedName>& services,
                                         TranslateResult* result) {
  std::vector<size_t> recomputed;
  std::vector<gatehouse::v1::ClusterLoadAssignment>& assignments =
      result->resources.load_assignments;
  for (size_t i = 0; i < assignments.size(); ++i) {
    gatehouse::v1::ClusterLoadAssignment& assignment = assignments[i];
    auto target = result->cluster_targets.find(assignment.cluster_name());
    if (target == result->cluster_targets.end()) continue;
    if (services.count({target->second.ns, target->second.service}) == 0) continue;
    assignment = BuildLoadAssignment(assignment.cluster_name(), target->second, world);
    recomputed.push_back(i);
  }
  return recomputed;
}

TranslateResult Translate(const objects::ObjectStore& world, const TranslateOptions& options) {
  return Translator(world, options).Run();
}

}  // namespace gatehouse::controlplane::translate
