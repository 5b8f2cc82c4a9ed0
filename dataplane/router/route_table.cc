#include "dataplane/router/route_table.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/backend_limits.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "common/path_regex.h"

namespace gatehouse::dataplane::router {

bool RouteEntry::Matches(absl::string_view request_path) const {
  switch (type) {
    case v1::RouteMatch::EXACT:
      return request_path == path;
    case v1::RouteMatch::PREFIX:
      // Element-wise: "/foo" matches "/foo", "/foo/" and "/foo/bar", never "/foobar".
      if (path == "/") return true;
      return absl::StartsWith(request_path, path) &&
             (request_path.size() == path.size() || request_path[path.size()] == '/');
    case v1::RouteMatch::STRING_PREFIX:
      return absl::StartsWith(request_path, path);
    case v1::RouteMatch::REGEX:
      // Anchored at the start only, as ingress-nginx's "location ~* ^PATTERN" is.
      return MatchesPathRegex(*regex, request_path);
    default:
      return false;
  }
}

namespace {

// The host part of a Host header value: without port and trailing dot, not yet lower-cased.
absl::string_view HostWithoutPort(absl::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close != absl::string_view::npos) host = host.substr(0, close + 1);
  } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

}  // namespace

namespace {

// One virtual host compiled on its own: its entry, its domains (lower-cased), or its errors.
struct CompiledHost {
  VirtualHostEntry entry;
  std::vector<std::string> domains;
  std::vector<std::string> errors;
};

CompiledHost CompileHost(const v1::VirtualHost& vhost, const std::string& where,
                         const filters::FilterCompiler& compile_filter) {
  CompiledHost out;
  std::vector<std::string>& errors = out.errors;
  // Compiles a filter list into `chain`, or notes why it cannot be, under `at`.
  auto compile_chain = [&](const google::protobuf::RepeatedPtrField<v1::Filter>& list,
                           const std::string& at, filters::FilterChain& chain) {
    absl::StatusOr<filters::FilterChain> compiled =
        filters::FilterChain::Compile(list, compile_filter);
    if (compiled.ok()) {
      chain = *std::move(compiled);
    } else {
      errors.push_back(absl::StrCat(at, ".", compiled.status().message()));
    }
  };
  VirtualHostEntry& entry = out.entry;
  entry.name = vhost.name();
  entry.default_cluster = vhost.default_cluster();
  entry.labels = RequestLabels::Intern("", entry.default_cluster, entry.name);
  compile_chain(vhost.filters(), where, entry.filters);
  if (vhost.domains().empty()) errors.push_back(absl::StrCat(where, ": no domains"));
  for (const std::string& domain : vhost.domains()) {
    std::string lower = absl::AsciiStrToLower(domain);
    if (absl::StartsWith(lower, "*.")) {
      absl::string_view suffix = absl::string_view(lower).substr(2);
      if (suffix.empty() || absl::StrContains(suffix, '*')) {
        errors.push_back(absl::StrCat(where, ": bad wildcard domain \"", domain, "\""));
        continue;
      }
    } else if (lower != "*" && (lower.empty() || absl::StrContains(lower, '*'))) {
      errors.push_back(absl::StrCat(where, ": bad domain \"", domain, "\""));
      continue;
    }
    out.domains.push_back(std::move(lower));
  }
  size_t regex_routes = 0;
  for (int r = 0; r < vhost.routes_size(); ++r) {
    const v1::Route& route = vhost.routes(r);
    std::string route_where = absl::StrCat(where, ".routes[", r, "]");
    RouteEntry route_entry;
    route_entry.type = route.match().path_type();
    route_entry.path = route.match().path();
    route_entry.source = route.source();
    if (absl::StatusOr<BackendChoice> backends = BackendChoice::Compile(route); backends.ok()) {
      route_entry.backends = *std::move(backends);
      route_entry.backends.Label(route.source(), vhost.name());
    } else {
      errors.push_back(absl::StrCat(route_where, backends.status().message()));
    }
    compile_chain(route.filters(), route_where, route_entry.filters);
    route_entry.timeouts = route.timeouts();
    if (route.has_error_pages()) {
      const v1::ErrorPages& pages = route.error_pages();
      route_entry.error_pages = pages;
      if (pages.cluster().empty()) {
        errors.push_back(absl::StrCat(route_where, ".error_pages: no cluster"));
      }
      for (uint32_t code : pages.codes()) {
        if (code < 400 || code > 599) {
          errors.push_back(
              absl::StrCat(route_where, ".error_pages: code ", code, " is not 400 to 599"));
        }
      }
      if (pages.headers_size() > kMaxHeaderEdits) {
        errors.push_back(
            absl::StrCat(route_where, ".error_pages: more than ", kMaxHeaderEdits, " headers"));
      }
      for (const v1::Header& header : pages.headers()) {
        if (!IsEditableHeaderName(header.name()) || !IsFieldValue(header.value())) {
          errors.push_back(absl::StrCat(route_where, ".error_pages: header ",
                                        QuoteForMessage(header.name()), " cannot be sent"));
        }
      }
    }
    if (route.mirrors_size() > kMaxRequestMirrors) {
      errors.push_back(
          absl::StrCat(route_where, ": more than ", kMaxRequestMirrors, " request mirrors"));
    }
    for (int m = 0; m < route.mirrors_size() && m < kMaxRequestMirrors; ++m) {
      absl::StatusOr<MirrorPolicy> mirror = CompileMirror(route.mirrors(m));
      if (mirror.ok()) {
        route_entry.mirrors.push_back(*std::move(mirror));
      } else {
        errors.push_back(
            absl::StrCat(route_where, ".mirrors[", m, "]: ", mirror.status().message()));
      }
    }
    if (route.has_retry()) {
      route_entry.retry = route.retry();
      for (uint32_t status : route.retry().statuses()) {
        if (status != 403 && status != 404 && status != 429 && status != 500 && status != 502 &&
            status != 503 && status != 504) {
          errors.push_back(absl::StrCat(route_where, ".retry: status ", status,
                                        " is not one of 403, 404, 429, 500, 502, 503, 504"));
        }
      }
      if (route.retry().timeout_ms() > kMaxRouteTimeoutMs) {
        errors.push_back(absl::StrCat(route_where, ".retry: timeout ", route.retry().timeout_ms(),
                                      " ms is more than a day"));
      }
    }
    for (uint32_t ms :
         {route.timeouts().connect_ms(), route.timeouts().read_ms(), route.timeouts().send_ms()}) {
      if (ms > kMaxRouteTimeoutMs) {
        errors.push_back(absl::StrCat(route_where, ".timeouts: ", ms, " ms is more than ",
                                      kMaxRouteTimeoutMs, " (a day)"));
      }
    }
    switch (route_entry.type) {
      case v1::RouteMatch::EXACT:
      case v1::RouteMatch::PREFIX:
      case v1::RouteMatch::STRING_PREFIX:
        break;
      case v1::RouteMatch::REGEX: {
        if (++regex_routes > kMaxRegexPathsPerHost) {
          errors.push_back(absl::StrCat(route_where, ": more than ", kMaxRegexPathsPerHost,
                                        " regex paths on one host"));
          continue;
        }
        absl::StatusOr<std::shared_ptr<const re2::RE2>> regex = CompilePathRegex(route_entry.path);
        if (!regex.ok()) {
          errors.push_back(absl::StrCat(route_where, ": ", regex.status().message()));
          continue;
        }
        route_entry.regex = *std::move(regex);
        entry.regex_instructions += static_cast<uint64_t>(route_entry.regex->ProgramSize());
        break;
      }
      default:
        errors.push_back(absl::StrCat(route_where, ": unsupported path type ",
                                      v1::RouteMatch::PathType_Name(route_entry.type)));
        continue;
    }
    if (!absl::StartsWith(route_entry.path, "/")) {
      errors.push_back(
          absl::StrCat(route_where, ": path \"", route_entry.path, "\" must start with /"));
    }
    entry.routes.push_back(std::move(route_entry));
  }
  return out;
}

}  // namespace

RouteTable::Isolated RouteTable::BuildIsolating(const v1::RouteConfiguration& config,
                                                filters::FilterCompiler compile_filter) {
  std::shared_ptr<RouteTable> table(new RouteTable());
  Isolated out;
  absl::flat_hash_set<std::string> claimed;  // lower-cased domains, as written ("*.a.b", "*")
  for (int v = 0; v < config.virtual_hosts_size(); ++v) {
    const v1::VirtualHost& vhost = config.virtual_hosts(v);
    std::string where = absl::StrCat("virtual_hosts[", v, "] (", vhost.name(), ")");
    CompiledHost host = CompileHost(vhost, where, compile_filter);
    // A domain an earlier host named (kept or left out: a bad host's domains go to nobody),
    // or that appears twice here: the later host loses.
    for (const std::string& domain : host.domains) {
      if (!claimed.insert(domain).second) {
        host.errors.push_back(absl::StrCat(where, ": domain \"", domain, "\" appears twice"));
      }
    }
    if (!host.errors.empty()) {
      out.dropped.push_back(absl::StrJoin(host.errors, "; "));
      continue;
    }
    size_t index = table->virtual_hosts_.size();
    for (const std::string& domain : host.domains) {
      if (domain == "*") {
        table->catch_all_ = static_cast<int>(index);
      } else if (absl::StartsWith(domain, "*.")) {
        table->wildcard_.emplace(domain.substr(2), index);
      } else {
        table->exact_.emplace(domain, index);
      }
    }
    table->virtual_hosts_.push_back(std::move(host.entry));
  }
  out.table = std::move(table);
  return out;
}

absl::StatusOr<std::shared_ptr<const RouteTable>> RouteTable::Build(
    const v1::RouteConfiguration& config, filters::FilterCompiler compile_filter) {
  Isolated built = BuildIsolating(config, std::move(compile_filter));
  if (!built.dropped.empty()) return absl::InvalidArgumentError(absl::StrJoin(built.dropped, "; "));
  return std::move(built.table);
}

const VirtualHostEntry* RouteTable::FindVirtualHost(absl::string_view host) const {
  if (auto it = exact_.find(host); it != exact_.end()) return &virtual_hosts_[it->second];
  // "*.example.com" covers exactly one label: "a.example.com", not "a.b.example.com".
  if (size_t dot = host.find('.'); dot != absl::string_view::npos && dot > 0) {
    if (auto it = wildcard_.find(host.substr(dot + 1)); it != wildcard_.end()) {
      return &virtual_hosts_[it->second];
    }
  }
  return catch_all_ >= 0 ? &virtual_hosts_[catch_all_] : nullptr;
}

const VirtualHostEntry* RouteTable::FindHost(absl::string_view host) const {
  // Lower-case into a stack buffer: no allocation on the request path for any sane host.
  absl::string_view bare = HostWithoutPort(host);
  char buffer[256];
  if (bare.size() <= sizeof(buffer)) {
    for (size_t i = 0; i < bare.size(); ++i) buffer[i] = absl::ascii_tolower(bare[i]);
    return FindVirtualHost(absl::string_view(buffer, bare.size()));
  }
  return FindVirtualHost(absl::AsciiStrToLower(bare));
}

MatchResult RouteTable::MatchIn(const VirtualHostEntry* host, absl::string_view path) {
  MatchResult result;
  result.virtual_host = host;
  if (host == nullptr) return result;
  if (host->regex_instructions > 0 && path.size() > kMaxRegexMatchBytes) {
    // Not matched at all: a regex's cost grows with the path (414).
    result.path_too_long = true;
    result.filters = &host->filters;
    return result;
  }
  for (const RouteEntry& route : host->routes) {
    if (route.Matches(path)) {
      result.route = &route;
      result.filters = &route.filters;
      return result;
    }
  }
  result.filters = &host->filters;
  if (!host->default_cluster.empty()) result.cluster = &host->default_cluster;
  return result;
}

uint64_t VirtualHostEntry::RegexWork(size_t path_bytes) const {
  if (path_bytes > kMaxRegexMatchBytes) return 0;  // not matched: 414
  return path_bytes * regex_instructions;
}

}  // namespace gatehouse::dataplane::router
