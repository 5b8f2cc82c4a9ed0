// gatehousectl: inspects a running control plane or data plane through its admin API.
//
//   gatehousectl [--server=HOST:PORT] [--timeout=SECONDS]
//                status | config-dump | proxy-status | ingresses [NAME]
//   gatehousectl [--ingress-class=NAME] migrate-check FILE|DIR|-
//
// Exit codes: 0 success, 1 the server could not be reached or answered with an error (for
// migrate-check: some annotation would not be applied), 2 usage (or unreadable input).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "common/net_address.h"
#include "tools/gatehousectl/admin_client.h"
#include "tools/gatehousectl/ingress_text.h"
#include "tools/gatehousectl/migrate_check.h"
#include "tools/gatehousectl/status_text.h"

namespace gatehouse::gatehousectl {
namespace {

constexpr char kProgram[] = "gatehousectl";
constexpr char kDefaultServer[] = "127.0.0.1:19000";

// Commands docs/design.md names that are not built yet; rejected with a clear line until then.
constexpr const char* kLaterCommands[] = {"endpoints", "route-test", "log-level", "drain"};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kProgram, message.c_str());
  return 2;
}

int Failure(const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", kProgram, std::string(status.message()).c_str());
  return 1;
}

int RunStatus(AdminClient& client) {
  absl::StatusOr<gatehouse::v1::GetStatusResponse> status = client.GetStatus();
  if (!status.ok()) return Failure(status.status());
  std::fputs(FormatStatus(*status).c_str(), stdout);
  return 0;
}

int RunConfigDump(AdminClient& client) {
  absl::StatusOr<gatehouse::v1::GetConfigDumpResponse> dump = client.GetConfigDump();
  if (!dump.ok()) return Failure(dump.status());
  absl::StatusOr<std::string> json = FormatConfigDump(*dump);
  if (!json.ok()) return Failure(json.status());
  std::fputs(json->c_str(), stdout);
  std::fputs("\n", stdout);
  return 0;
}

int RunProxyStatus(AdminClient& client) {
  absl::StatusOr<gatehouse::v1::GetProxyStatusResponse> status = client.GetProxyStatus();
  if (!status.ok()) return Failure(status.status());
  std::fputs(FormatProxyStatus(*status).c_str(), stdout);
  return 0;
}

// `name`: "namespace/name", or a name that only one namespace has; empty: every Ingress.
int RunIngresses(AdminClient& client, const std::string& name) {
  absl::StatusOr<gatehouse::v1::GetStatusResponse> status = client.GetStatus();
  if (!status.ok()) return Failure(status.status());
  if (status->component() != "controlplane") {
    return Failure(absl::FailedPreconditionError(
        "ingresses: this is a data plane; ask the control plane (its admin address)"));
  }
  if (name.empty()) {
    std::fputs(FormatIngressList(status->ingresses()).c_str(), stdout);
    return 0;
  }
  std::vector<const gatehouse::v1::IngressReport*> found;
  for (const gatehouse::v1::IngressReport& ingress : status->ingresses()) {
    if (absl::StrCat(ingress.namespace_(), "/", ingress.name()) == name || ingress.name() == name) {
      found.push_back(&ingress);
    }
  }
  if (found.size() != 1) {
    return Failure(absl::NotFoundError(
        found.empty()
            ? absl::StrCat("no Ingress \"", name, "\"")
            : absl::StrCat("Ingress \"", name, "\" is in several namespaces; say NAMESPACE/NAME")));
  }
  std::fputs(FormatIngressReport(*found[0]).c_str(), stdout);
  return 0;
}

int RunMigrateCheck(const std::string& target, const std::string& ingress_class) {
  MigrateCheckResult result = gatehousectl::RunMigrateCheck(target, ingress_class);
  std::fputs(result.out.c_str(), stdout);
  std::fputs(result.err.c_str(), stderr);
  return result.exit_code;
}

int Main(int argc, char** argv) {
  HostPort server = *ParseHostPort(kDefaultServer);
  int timeout_seconds = 5;
  std::string ingress_class;

  FlagSet flags(kProgram,
                "gatehousectl [--server=HOST:PORT] [--timeout=SECONDS] "
                "status | config-dump | proxy-status | ingresses [NAME]\n"
                "gatehousectl [--ingress-class=NAME] migrate-check FILE|DIR|-\n\n"
                "  status           what the process runs: versions, Ingress reports, errors\n"
                "  config-dump      the configuration it holds, as JSON\n"
                "  proxy-status     (control plane) each data plane and the versions it runs\n"
                "  ingresses        (control plane) every Ingress, its state and how many of its\n"
                "                   annotations are not applied; with NAME, its migration report\n"
                "  migrate-check    offline: what Gatehouse would make of the Ingresses in a\n"
                "                   file, a folder or stdin (kubectl get ingress -A -o yaml);\n"
                "                   exits 1 when any annotation would not be applied\n\n"
                "The control plane's admin API listens on 127.0.0.1:19000 by default, the data\n"
                "plane's on 127.0.0.1:19001.");
  flags.AddCustom(
      "server", "HOST:PORT",
      [&server](absl::string_view value) -> absl::Status {
        absl::StatusOr<HostPort> parsed = ParseHostPort(value, /*allow_zero_port=*/false);
        if (!parsed.ok()) return parsed.status();
        server = *parsed;
        return absl::OkStatus();
      },
      absl::StrCat("admin address of a control plane or data plane (default ", kDefaultServer,
                   ")"));
  flags.AddInt("timeout", &timeout_seconds, 1, 3600, "seconds to wait for an answer (default 5)");
  flags.AddString("ingress-class", &ingress_class,
                  "migrate-check: only Ingresses of this class (default: every Ingress)");
  flags.ParseOrExit(argc, argv);

  const std::vector<std::string>& args = flags.positionals();
  if (args.empty())
    return UsageError("missing command: status, config-dump or proxy-status (see --help)");
  const std::string& command = args[0];
  for (const char* later : kLaterCommands) {
    if (command == later)
      return UsageError(absl::StrCat("command \"", command, "\" is not supported yet"));
  }
  if (command == "migrate-check") {
    if (args.size() != 2) {
      return UsageError("migrate-check takes one argument: a file, a folder, or - for stdin");
    }
    return RunMigrateCheck(args[1], ingress_class);
  }
  if (command == "ingresses") {
    if (args.size() > 2) return UsageError("ingresses takes at most one argument, a NAME");
    AdminClient client(server, absl::Seconds(timeout_seconds));
    return RunIngresses(client, args.size() == 2 ? args[1] : std::string());
  }
  if (command != "status" && command != "config-dump" && command != "proxy-status") {
    return UsageError(absl::StrCat("unknown command \"", command,
                                   "\": want status, config-dump, proxy-status, ingresses or "
                                   "migrate-check (see --help)"));
  }
  if (args.size() > 1) {
    return UsageError(
        absl::StrCat("command ", command, " takes no arguments, got \"", args[1], "\""));
  }

  AdminClient client(server, absl::Seconds(timeout_seconds));
  if (command == "status") return RunStatus(client);
  if (command == "proxy-status") return RunProxyStatus(client);
  return RunConfigDump(client);
}

}  // namespace
}  // namespace gatehouse::gatehousectl

int main(int argc, char** argv) { return gatehouse::gatehousectl::Main(argc, argv); }
