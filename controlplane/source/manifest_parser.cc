#include "controlplane/source/manifest_parser.h"

#include <arpa/inet.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "controlplane/kube/yaml_json.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gatehouse::controlplane::source {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

struct KindInfo {
  absl::string_view kind;
  absl::string_view api_version;
  Kind id;
};

constexpr KindInfo kKinds[] = {
    {"Ingress", "networking.k8s.io/v1", Kind::kIngress},
    {"IngressClass", "networking.k8s.io/v1", Kind::kIngressClass},
    {"Service", "v1", Kind::kService},
    {"EndpointSlice", "discovery.k8s.io/v1", Kind::kEndpointSlice},
    {"Secret", "v1", Kind::kSecret},
};

const KindInfo* FindKind(absl::string_view kind) {
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

// The string at `field` of `object`, or "" when absent or not a string.
std::string StringField(const Struct& object, const std::string& field) {
  auto it = object.fields().find(field);
  if (it == object.fields().end() || it->second.kind_case() != Value::kStringValue) return "";
  return it->second.string_value();
}

absl::Status ParseJsonInto(const std::string& json, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(status.message()));
}

template <typename Message>
absl::StatusOr<KubeObject> DecodeAs(const Struct& object, const std::string& ns) {
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(object, &json);
  if (!status.ok()) return absl::InvalidArgumentError(std::string(status.message()));
  Message message;
  if (absl::Status parsed = ParseJsonInto(json, &message); !parsed.ok()) return parsed;
  message.mutable_metadata()->set_namespace_(ns);
  return KubeObject(std::move(message));
}

absl::StatusOr<KubeObject> Decode(Kind kind, const Struct& object, const std::string& ns) {
  switch (kind) {
    case Kind::kIngress:
      return DecodeAs<kube::Ingress>(object, ns);
    case Kind::kIngressClass:
      return DecodeAs<kube::IngressClass>(object, ns);
    case Kind::kService:
      return DecodeAs<kube::Service>(object, ns);
    case Kind::kEndpointSlice:
      return DecodeAs<kube::EndpointSlice>(object, ns);
    case Kind::kSecret: {
      absl::StatusOr<KubeObject> decoded = DecodeAs<kube::Secret>(object, ns);
      if (!decoded.ok()) return decoded;
      // stringData's entries replace data's of the same key, as the API server writes them.
      auto& secret = std::get<kube::Secret>(*decoded);
      for (const auto& [key, value] : secret.string_data()) (*secret.mutable_data())[key] = value;
      secret.clear_string_data();
      return decoded;
    }
  }
  return absl::InternalError("unknown kind");
}

}  // namespace

absl::Status ValidateObject(const KubeObject& object) {
  const auto* slice = std::get_if<kube::EndpointSlice>(&object);
  if (slice == nullptr) return absl::OkStatus();
  int family = slice->address_type() == "IPv4"   ? AF_INET
               : slice->address_type() == "IPv6" ? AF_INET6
                                                 : 0;
  if (family == 0) return absl::OkStatus();  // FQDN slices are not used, nothing to check
  unsigned char buffer[sizeof(in6_addr)];
  for (int e = 0; e < slice->endpoints_size(); ++e) {
    for (int a = 0; a < slice->endpoints(e).addresses_size(); ++a) {
      const std::string& address = slice->endpoints(e).addresses(a);
      if (inet_pton(family, address.c_str(), buffer) != 1) {
        return absl::InvalidArgumentError(absl::StrCat("endpoints[", e, "].addresses[", a, "]: \"",
                                                       address, "\" is not an ",
                                                       slice->address_type(), " address"));
      }
    }
  }
  return absl::OkStatus();
}

namespace {

class Parser {
 public:
  Parser(absl::string_view file_name, const ManifestOptions& options, ParsedManifests* out)
      : file_name_(file_name), options_(options), out_(out) {}

  // Reads one object (or List) whose position in the file is `where` ("document 2").
  void Object(const Value& value, const std::string& where) {
    if (value.kind_case() != Value::kStructValue) {
      Error(where, "not a Kubernetes object (want a mapping with apiVersion and kind)");
      return;
    }
    const Struct& object = value.struct_value();
    std::string kind = StringField(object, "kind");
    if (kind.empty()) {
      Error(where, "missing kind");
      return;
    }
    if (kind == "List" || absl::EndsWith(kind, "List")) {
      List(object, kind, where);
      return;
    }
    const KindInfo* info = FindKind(kind);
    if (info == nullptr) {
      LOG_DEBUG(file_name_, ": ", where, ": skipping kind ", kind);
      return;
    }
    std::string name;
    std::string ns;
    if (auto meta = object.fields().find("metadata");
        meta != object.fields().end() && meta->second.kind_case() == Value::kStructValue) {
      name = StringField(meta->second.struct_value(), "name");
      ns = StringField(meta->second.struct_value(), "namespace");
    }
    if (name.empty()) {
      Error(where, absl::StrCat(kind, " without metadata.name"));
      return;
    }
    if (!IsNamespaced(info->id)) {
      ns.clear();
    } else if (ns.empty()) {
      ns = "default";
    }
    std::string label = ObjectKey{info->id, {ns, name}}.ToString();
    std::string api_version = StringField(object, "apiVersion");
    if (api_version != info->api_version) {
      Error(label, absl::StrCat("apiVersion \"", api_version, "\" is not supported (want ",
                                info->api_version, ")"));
      return;
    }
    if (IsNamespaced(info->id) && !options_.watch_namespace.empty() &&
        ns != options_.watch_namespace) {
      LOG_DEBUG(file_name_, ": ", label, ": outside --watch-namespace, skipped");
      return;
    }
    absl::StatusOr<KubeObject> decoded = Decode(info->id, object, ns);
    if (!decoded.ok()) {
      Error(label, std::string(decoded.status().message()));
      return;
    }
    if (absl::Status valid = ValidateObject(*decoded); !valid.ok()) {
      Error(label, std::string(valid.message()));
      return;
    }
    out_->objects.push_back(*std::move(decoded));
  }

 private:
  void List(const Struct& list, const std::string& kind, const std::string& where) {
    auto items = list.fields().find("items");
    if (items == list.fields().end() || items->second.kind_case() == Value::kNullValue) return;
    if (items->second.kind_case() != Value::kListValue) {
      Error(where, absl::StrCat(kind, ": items is not a list"));
      return;
    }
    int index = 0;
    for (const Value& item : items->second.list_value().values()) {
      Object(item, absl::StrCat(where, " item ", index++));
    }
  }

  void Error(const std::string& object, const std::string& message) {
    gatehouse::v1::SourceError& error = out_->errors.emplace_back();
    error.set_file(std::string(file_name_));
    error.set_object(object);
    error.set_message(message);
  }

  absl::string_view file_name_;
  const ManifestOptions& options_;
  ParsedManifests* out_;
};

}  // namespace

ParsedManifests ParseManifests(absl::string_view yaml, absl::string_view file_name,
                               const ManifestOptions& options) {
  ParsedManifests out;
  absl::StatusOr<std::vector<std::string>> documents =
      controlplane::kube::YamlDocumentsToJson(yaml);
  if (!documents.ok()) {
    out.syntax_error = true;
    gatehouse::v1::SourceError& error = out.errors.emplace_back();
    error.set_file(std::string(file_name));
    error.set_message(absl::StrCat("not valid YAML: ", documents.status().message()));
    return out;
  }
  Parser parser(file_name, options, &out);
  for (size_t i = 0; i < documents->size(); ++i) {
    const std::string& json = (*documents)[i];
    if (json == "null") continue;
    std::string where = absl::StrCat("document ", i + 1);
    Value value;
    if (absl::Status status = ParseJsonInto(json, &value); !status.ok()) {
      // Only reachable if the YAML-to-JSON step produced something odd; say so plainly.
      gatehouse::v1::SourceError& error = out.errors.emplace_back();
      error.set_file(std::string(file_name));
      error.set_object(where);
      error.set_message(std::string(status.message()));
      continue;
    }
    parser.Object(value, where);
  }
  return out;
}

}  // namespace gatehouse::controlplane::source
