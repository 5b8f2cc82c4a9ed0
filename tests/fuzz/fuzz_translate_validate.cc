// Fuzz target: whatever Ingresses tenants write, everything the control plane publishes is
// accepted whole by a data plane. The input's lines build Ingresses over a fixed world (our
// IngressClass, a Service with endpoints in two namespaces, TLS Secrets with a good, a weak and
// a mismatched certificate, each also a CA bundle for auth-tls-secret); they are translated as the
// control plane does, packed as it packs them, and built into a DataplaneConfig as a data plane
// does. A version the data plane refuses, or a resource it leaves out, aborts: the control plane
// should have refused it first.
//
// Lines: "n:NAMESPACE/NAME" starts an Ingress; "a:KEY=VALUE" an annotation (a KEY without '/'
// gets the ingress-nginx prefix); "h:HOST" a rule; "p:TYPE PATH" a path of the last rule
// (Exact, Prefix or ImplementationSpecific) to Service web; "t:SECRET HOST..." a spec.tls entry;
// "d:" a defaultBackend.
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/resource_types.h"
#include "controlplane/objects/object_store.h"
#include "controlplane/pki/xds_certificates.h"
#include "controlplane/translate/translate.h"
#include "controlplane/xds/snapshot_cache.h"
#include "dataplane/config/dataplane_config.h"
#include "google/protobuf/stubs/logging.h"
#include "tests/unit/controlplane/translate/test_certificates.h"

namespace {

using gatehouse::controlplane::objects::ObjectStore;
namespace kube = gatehouse::v1::kube;
namespace certs = gatehouse::controlplane::translate::testing_certificates;

kube::Secret TlsSecret(const std::string& ns, const std::string& name, const std::string& crt,
                       const std::string& key) {
  kube::Secret secret;
  secret.mutable_metadata()->set_namespace_(ns);
  secret.mutable_metadata()->set_name(name);
  secret.set_type("kubernetes.io/tls");
  (*secret.mutable_data())["tls.crt"] = crt;
  (*secret.mutable_data())["tls.key"] = key;
  (*secret.mutable_data())["ca.crt"] = crt;  // for auth-tls-secret
  return secret;
}

void AddService(ObjectStore& world, const std::string& ns) {
  kube::Service service;
  service.mutable_metadata()->set_namespace_(ns);
  service.mutable_metadata()->set_name("web");
  kube::ServicePort* port = service.mutable_spec()->add_ports();
  port->set_name("http");
  port->set_port(80);
  port->mutable_target_port()->set_number_value(8080);
  world.Upsert(service);
  kube::EndpointSlice slice;
  slice.mutable_metadata()->set_namespace_(ns);
  slice.mutable_metadata()->set_name("web-a");
  (*slice.mutable_metadata()->mutable_labels())["kubernetes.io/service-name"] = "web";
  slice.set_address_type("IPv4");
  kube::EndpointPort* endpoint_port = slice.add_ports();
  endpoint_port->set_name("http");
  endpoint_port->set_port(8080);
  slice.add_endpoints()->add_addresses("10.0.0.1");
  world.Upsert(slice);
}

// The world every input starts from, made once.
const ObjectStore& BaseWorld() {
  static const ObjectStore* const world = [] {
    auto* out = new ObjectStore();
    kube::IngressClass ingress_class;
    ingress_class.mutable_metadata()->set_name("gatehouse");
    ingress_class.mutable_spec()->set_controller("gatehouse.dev/ingress-controller");
    out->Upsert(ingress_class);
    AddService(*out, "default");
    AddService(*out, "other");
    auto good = gatehouse::controlplane::pki::MakeXdsCertificates({"a.test"}, absl::Hours(24));
    if (!good.ok()) std::abort();
    EVP_PKEY* weak_key = EVP_RSA_gen(1024);
    EVP_PKEY* other_key = EVP_EC_gen("P-256");
    for (const char* ns : {"default", "other"}) {
      out->Upsert(TlsSecret(ns, "good", good->server_cert, good->server_key));
      out->Upsert(
          TlsSecret(ns, "weak", certs::Certificate(weak_key, "weak.test"), certs::Pkcs8(weak_key)));
      out->Upsert(TlsSecret(ns, "mismatched", good->server_cert, certs::Pkcs8(other_key)));
      out->Upsert(TlsSecret(ns, "ca", good->ca_cert, good->server_key));
    }
    EVP_PKEY_free(weak_key);
    EVP_PKEY_free(other_key);
    return out;
  }();
  return *world;
}

std::vector<kube::Ingress> ParseIngresses(absl::string_view text) {
  std::vector<kube::Ingress> out;
  kube::IngressRule* rule = nullptr;
  auto backend = [](kube::IngressBackend* to) {
    to->mutable_service()->set_name("web");
    to->mutable_service()->mutable_port()->set_number(80);
  };
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() < 2 || line[1] != ':') continue;
    absl::string_view value = line.substr(2);
    if (line[0] == 'n' || out.empty()) {
      kube::Ingress& ingress = out.emplace_back();
      std::pair<std::string, std::string> name =
          absl::StrSplit(line[0] == 'n' ? value : "default/i", absl::MaxSplits('/', 1));
      ingress.mutable_metadata()->set_namespace_(name.first == "other" ? "other" : "default");
      ingress.mutable_metadata()->set_name(absl::StrCat(name.second, out.size()));
      ingress.mutable_spec()->set_ingress_class_name("gatehouse");
      rule = nullptr;
      if (line[0] == 'n') continue;
    }
    kube::Ingress& ingress = out.back();
    switch (line[0]) {
      case 'a': {
        std::pair<std::string, std::string> entry = absl::StrSplit(value, absl::MaxSplits('=', 1));
        if (!absl::StrContains(entry.first, '/')) {
          entry.first = "nginx.ingress.kubernetes.io/" + entry.first;
        }
        (*ingress.mutable_metadata()->mutable_annotations())[entry.first] = entry.second;
        break;
      }
      case 'h':
        rule = ingress.mutable_spec()->add_rules();
        rule->set_host(std::string(value));
        break;
      case 'p': {
        if (rule == nullptr) rule = ingress.mutable_spec()->add_rules();
        std::pair<absl::string_view, absl::string_view> type_path =
            absl::StrSplit(value, absl::MaxSplits(' ', 1));
        kube::HTTPIngressPath* path = rule->mutable_http()->add_paths();
        path->set_path_type(std::string(type_path.first));
        path->set_path(std::string(type_path.second));
        backend(path->mutable_backend());
        break;
      }
      case 't': {
        std::vector<std::string> words = absl::StrSplit(value, ' ', absl::SkipEmpty());
        if (words.empty()) break;
        kube::IngressTLS* tls = ingress.mutable_spec()->add_tls();
        tls->set_secret_name(words[0]);
        for (size_t i = 1; i < words.size(); ++i) tls->add_hosts(words[i]);
        break;
      }
      case 'd':
        backend(ingress.mutable_spec()->mutable_default_backend());
        break;
      default:
        break;
    }
  }
  return out;
}

// Whether a source could deliver `ingress`: both read JSON into protobuf, so every string is
// valid UTF-8, which is what a protobuf round trip checks.
bool Deliverable(const kube::Ingress& ingress) {
  std::string wire;
  kube::Ingress back;
  return ingress.SerializeToString(&wire) && back.ParseFromString(wire);
}

void Quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gatehouse;  // NOLINT: the target's body reads better without the prefixes
  static const bool quiet = (google::protobuf::SetLogHandler(&Quiet), true);
  (void)quiet;
  ObjectStore world = BaseWorld();
  for (kube::Ingress& ingress :
       ParseIngresses(absl::string_view(reinterpret_cast<const char*>(data), size))) {
    if (!Deliverable(ingress)) return 0;
    world.Upsert(std::move(ingress));
  }
  controlplane::translate::TranslateResult result = controlplane::translate::Translate(world, {});
  const controlplane::translate::ConfigResources& resources = result.resources;
  std::map<std::string, dataplane::config::ResourceSet> sets;
  auto add = [&](absl::string_view type, const auto& messages) {
    controlplane::xds::ResourceSet packed = controlplane::xds::MakeResourceSetOf(type, messages);
    dataplane::config::ResourceSet& set = sets[std::string(type)];
    set.version = packed.version;
    for (size_t i = 0; i < packed.names.size(); ++i) {
      set.resources[packed.names[i]] = packed.resources[i];
    }
  };
  add(kClusterType, resources.clusters);
  add(kEndpointsType, resources.load_assignments);
  add(kListenerType, resources.listeners);
  add(kRouteType, resources.route_configs);
  absl::StatusOr<std::shared_ptr<const dataplane::config::DataplaneConfig>> built =
      dataplane::config::DataplaneConfig::Build(std::move(sets));
  if (!built.ok()) {
    std::fprintf(stderr, "the data plane refused a published version: %s\n",
                 std::string(built.status().message()).c_str());
    std::abort();
  }
  if (!(*built)->dropped().empty()) {
    std::fprintf(stderr, "the data plane left out published resources: %s\n",
                 absl::StrJoin((*built)->dropped(), "; ").c_str());
    std::abort();
  }
  return 0;
}
