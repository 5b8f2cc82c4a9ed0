#include "tools/gatehousectl/status_text.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gatehouse/v1/config.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gatehouse::gatehousectl {
namespace {

// Label column width, so values line up.
constexpr size_t kLabelWidth = 16;

void AppendField(std::string* out, const std::string& label, const std::string& value) {
  std::string head = absl::StrCat(label, ":");
  if (head.size() < kLabelWidth) head.resize(kLabelWidth, ' ');
  absl::StrAppend(out, head, value, "\n");
}

std::string OrNone(const std::string& value) { return value.empty() ? "(none)" : value; }

std::string StateName(gatehouse::v1::IngressReport::State state) {
  switch (state) {
    case gatehouse::v1::IngressReport::ACCEPTED:
      return "accepted";
    case gatehouse::v1::IngressReport::PARTLY_ACCEPTED:
      return "partly accepted";
    case gatehouse::v1::IngressReport::REJECTED:
      return "rejected";
    case gatehouse::v1::IngressReport::IGNORED:
      return "ignored";
    default:
      return "unknown";
  }
}

}  // namespace

std::string FormatDuration(int64_t seconds) {
  if (seconds <= 0) return "0s";
  const int64_t days = seconds / 86400;
  const int64_t hours = seconds % 86400 / 3600;
  const int64_t minutes = seconds % 3600 / 60;
  const int64_t secs = seconds % 60;
  std::string out;
  if (days > 0) absl::StrAppend(&out, days, "d");
  if (days > 0 || hours > 0) absl::StrAppend(&out, hours, "h");
  if (days > 0 || hours > 0 || minutes > 0) absl::StrAppend(&out, minutes, "m");
  absl::StrAppend(&out, secs, "s");
  return out;
}

std::string ShortTypeName(const std::string& type_url) {
  const size_t slash = type_url.rfind('/');
  std::string name = slash == std::string::npos ? type_url : type_url.substr(slash + 1);
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::string FormatStatus(const gatehouse::v1::GetStatusResponse& status) {
  std::string out;
  AppendField(&out, "component", OrNone(status.component()));
  AppendField(&out, "node", OrNone(status.node_id()));
  AppendField(&out, "version", OrNone(status.build_version()));
  AppendField(&out, "uptime", FormatDuration(status.uptime_seconds()));
  AppendField(&out, "ready", status.ready() ? "yes" : "no");
  AppendField(&out, "config source", OrNone(status.config_source()));

  if (status.versions().empty()) {
    AppendField(&out, "versions", "(none)");
  } else {
    absl::StrAppend(&out, "versions:\n");
    for (const auto& version : status.versions()) {
      std::string name = ShortTypeName(version.type_url());
      if (name.size() < 24) name.resize(24, ' ');
      absl::StrAppend(&out, "  ", name, " ", OrNone(version.version()), "\n");
    }
  }

  if (!status.ingresses().empty()) {
    absl::StrAppend(&out, "ingresses:\n");
    for (const auto& ingress : status.ingresses()) {
      absl::StrAppend(&out, "  ", ingress.namespace_(), "/", ingress.name(), ": ",
                      StateName(ingress.state()), "\n");
      for (const std::string& reason : ingress.reasons()) {
        absl::StrAppend(&out, "    - ", reason, "\n");
      }
      for (const auto& certificate : ingress.certificates()) {
        absl::StrAppend(&out, "    certificate ", certificate.where(), " (", certificate.secret(),
                        "): valid until ", certificate.not_after(), "\n");
      }
    }
  }

  if (!status.source_errors().empty()) {
    absl::StrAppend(&out, "source errors:\n");
    for (const auto& error : status.source_errors()) {
      absl::StrAppend(&out, "  ", error.file());
      if (!error.object().empty()) absl::StrAppend(&out, " (", error.object(), ")");
      absl::StrAppend(&out, ": ", error.message(), "\n");
    }
  }

  AppendField(&out, "last error", OrNone(status.last_error()));
  return out;
}

namespace {

std::string TypeState(const gatehouse::v1::ProxyTypeStatus& type) {
  if (type.latest_version().empty()) return "-";
  if (type.acked_version() == type.latest_version()) return "SYNCED";
  if (type.nacked_version() == type.latest_version()) return "NACKED";
  if (type.sent_version() == type.latest_version()) return "PENDING";
  return "STALE";
}

std::string Column(std::string text, size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text + " ";
}

}  // namespace

std::string FormatProxyStatus(const gatehouse::v1::GetProxyStatusResponse& status) {
  if (status.proxies().empty()) return "no data plane is connected\n";
  size_t node_width = 4;
  size_t address_width = 7;
  for (const auto& proxy : status.proxies()) {
    node_width = std::max(node_width, proxy.node_id().size());
    address_width = std::max(address_width, proxy.address().size());
  }
  std::string out =
      Column("NODE", node_width) + Column("ADDRESS", address_width) + Column("CONNECTED", 9);
  std::vector<std::string> type_names;
  if (!status.proxies().empty()) {
    for (const auto& type : status.proxies(0).types()) {
      type_names.push_back(ShortTypeName(type.type_url()));
    }
  }
  for (const std::string& name : type_names) {
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    absl::StrAppend(&out, Column(upper, std::max<size_t>(upper.size(), 7)));
  }
  out.back() = '\n';
  std::string nacks;
  for (const auto& proxy : status.proxies()) {
    absl::StrAppend(&out, Column(proxy.node_id(), node_width),
                    Column(proxy.address(), address_width),
                    Column(FormatDuration(proxy.connected_seconds()), 9));
    for (int i = 0; i < proxy.types_size(); ++i) {
      size_t width =
          i < static_cast<int>(type_names.size()) ? std::max<size_t>(type_names[i].size(), 7) : 7;
      absl::StrAppend(&out, Column(TypeState(proxy.types(i)), width));
      if (!proxy.types(i).nack_message().empty()) {
        absl::StrAppend(&nacks, proxy.node_id(), " refused ",
                        ShortTypeName(proxy.types(i).type_url()), " version ",
                        proxy.types(i).nacked_version(), ": ", proxy.types(i).nack_message(), "\n");
      }
    }
    out.back() = '\n';
  }
  // Columns are padded; rows end at their last character.
  std::string trimmed;
  for (char c : out) {
    if (c == '\n') {
      while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
    }
    trimmed.push_back(c);
  }
  return trimmed + nacks;
}

absl::StatusOr<std::string> FormatConfigDump(const gatehouse::v1::GetConfigDumpResponse& dump) {
  // Resolving the Any resources needs their descriptors in the generated pool; naming one type of
  // config.proto keeps that file's registration linked into the binary.
  (void)gatehouse::v1::Cluster::descriptor();

  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(dump, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot render the config dump as JSON: ", status.ToString()));
  }
  return json;
}

}  // namespace gatehouse::gatehousectl
