// Fuzz target: a route configuration, built into the data plane's route table with its checks
// (host names, paths, RE2 regexes under their size limits), then requests matched against it.
//
// The input is lines. "h NAME" starts a virtual host with that domain; "e PATH", "p PATH",
// "s PATH" and "r REGEX" add an exact, prefix, string-prefix or regex route to it; "d" gives it
// a default cluster; any other line is a request, "HOST PATH", matched once the table is built.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "dataplane/router/route_table.h"

namespace {

using gatehouse::dataplane::router::RouteTable;
namespace v1 = gatehouse::v1;

void AddRoute(v1::VirtualHost* host, v1::RouteMatch::PathType type, absl::string_view path) {
  v1::Route* route = host->add_routes();
  route->set_source("default/fuzz");
  route->mutable_match()->set_path_type(type);
  route->mutable_match()->set_path(std::string(path));
  route->set_cluster("default/web:80");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  v1::RouteConfiguration config;
  config.set_name("http");
  v1::VirtualHost* host = nullptr;
  std::vector<std::pair<std::string, std::string>> requests;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::string_view rest = line.size() > 2 ? line.substr(2) : absl::string_view();
    if (line.size() >= 2 && line[1] == ' ' && line[0] == 'h') {
      host = config.add_virtual_hosts();
      host->set_name(std::string(rest));
      host->add_domains(std::string(rest));
      continue;
    }
    if (host != nullptr && line == "d") {
      host->set_default_cluster("default/fallback:80");
      continue;
    }
    if (host != nullptr && line.size() >= 2 && line[1] == ' ') {
      switch (line[0]) {
        case 'e':
          AddRoute(host, v1::RouteMatch::EXACT, rest);
          continue;
        case 'p':
          AddRoute(host, v1::RouteMatch::PREFIX, rest);
          continue;
        case 's':
          AddRoute(host, v1::RouteMatch::STRING_PREFIX, rest);
          continue;
        case 'r':
          AddRoute(host, v1::RouteMatch::REGEX, rest);
          continue;
        default:
          break;
      }
    }
    std::pair<absl::string_view, absl::string_view> request =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    requests.emplace_back(request.first, request.second);
  }
  auto table = RouteTable::Build(config);
  if (!table.ok()) return 0;
  for (const auto& [request_host, path] : requests) (*table)->Match(request_host, path);
  return 0;
}
