#include "tools/gatehousectl/migrate_check.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controlplane/objects/object_store.h"
#include "controlplane/pki/xds_certificates.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/options.h"
#include "controlplane/translate/report_proto.h"
#include "controlplane/translate/translate.h"
#include "tools/gatehousectl/ingress_text.h"

namespace gatehouse::gatehousectl {
namespace {

namespace fs = std::filesystem;
namespace kube = controlplane::objects::kube;
using controlplane::objects::KubeObject;
using controlplane::objects::NamespacedName;

struct Input {
  std::string name;
  std::string text;
};

// The files to read, in name order, or why they cannot be read.
bool ReadInputs(const std::string& target, std::vector<Input>* inputs, std::string* err) {
  if (target == "-") {
    inputs->push_back({"<stdin>", std::string(std::istreambuf_iterator<char>(std::cin), {})});
    return true;
  }
  std::error_code error;
  std::vector<fs::path> files;
  if (fs::is_directory(target, error)) {
    for (fs::recursive_directory_iterator it(target, error), end; !error && it != end;
         it.increment(error)) {
      std::string extension = it->path().extension().string();
      if (it->is_regular_file() &&
          (extension == ".yaml" || extension == ".yml" || extension == ".json")) {
        files.push_back(it->path());
      }
    }
  } else if (fs::is_regular_file(target, error)) {
    files.push_back(target);
  } else {
    absl::StrAppend(err, target, ": no such file or folder\n");
    return false;
  }
  if (error) {
    absl::StrAppend(err, target, ": ", error.message(), "\n");
    return false;
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      absl::StrAppend(err, file.string(), ": cannot be read\n");
      return false;
    }
    inputs->push_back({file.string(), std::string(std::istreambuf_iterator<char>(in), {})});
  }
  return true;
}

bool OfClass(const kube::Ingress& ingress, const std::string& ingress_class) {
  if (ingress_class.empty()) return true;
  if (ingress.spec().has_ingress_class_name()) {
    return ingress.spec().ingress_class_name() == ingress_class;
  }
  auto it = ingress.metadata().annotations().find("kubernetes.io/ingress.class");
  return it != ingress.metadata().annotations().end() && it->second == ingress_class;
}

// A Service an Ingress names but the input lacks, with the port it names, so that the check is
// about the Ingress and not about what else the input holds.
void AssumeService(const std::string& ns, const kube::IngressServiceBackend& backend,
                   controlplane::objects::ObjectStore* world, int* assumed) {
  if (backend.name().empty() || world->services().count(NamespacedName{ns, backend.name()}) > 0) {
    return;
  }
  kube::Service service;
  service.set_api_version("v1");
  service.set_kind("Service");
  service.mutable_metadata()->set_name(backend.name());
  service.mutable_metadata()->set_namespace_(ns);
  kube::ServicePort* port = service.mutable_spec()->add_ports();
  port->set_name(backend.port().name());
  port->set_port(backend.port().number() > 0 ? backend.port().number() : 80);
  world->Upsert(KubeObject(std::move(service)));
  ++*assumed;
}

// A kubernetes.io/tls Secret an Ingress names but the input lacks: a placeholder certificate,
// so that the check is about the Ingress. Made once, on first need.
void AssumeSecret(const std::string& ns, const std::string& name,
                  controlplane::objects::ObjectStore* world, std::set<std::string>* assumed,
                  std::optional<controlplane::pki::XdsCertificates>* placeholder) {
  if (name.empty() || world->secrets().count(NamespacedName{ns, name}) > 0) return;
  if (!placeholder->has_value()) {
    absl::StatusOr<controlplane::pki::XdsCertificates> made =
        controlplane::pki::MakeXdsCertificates({"placeholder.invalid"}, absl::Hours(24 * 365));
    if (!made.ok()) return;  // then the Ingress says the Secret does not exist
    *placeholder = *std::move(made);
  }
  kube::Secret secret;
  secret.set_api_version("v1");
  secret.set_kind("Secret");
  secret.set_type("kubernetes.io/tls");
  secret.mutable_metadata()->set_name(name);
  secret.mutable_metadata()->set_namespace_(ns);
  (*secret.mutable_data())["tls.crt"] = (*placeholder)->server_cert;
  (*secret.mutable_data())["tls.key"] = (*placeholder)->server_key;
  world->Upsert(KubeObject(std::move(secret)));
  assumed->insert(absl::StrCat(ns, "/", name));
}

}  // namespace

MigrateCheckResult RunMigrateCheck(const std::string& target, const std::string& ingress_class) {
  MigrateCheckResult result;
  std::vector<Input> inputs;
  if (!ReadInputs(target, &inputs, &result.err)) {
    result.exit_code = 2;
    return result;
  }
  controlplane::objects::ObjectStore world;
  for (const Input& input : inputs) {
    controlplane::source::ParsedManifests parsed =
        controlplane::source::ParseManifests(input.text, input.name, {});
    for (const gatehouse::v1::SourceError& error : parsed.errors) {
      absl::StrAppend(&result.err, error.file(), error.object().empty() ? "" : " (", error.object(),
                      error.object().empty() ? "" : ")", ": ", error.message(), "\n");
    }
    for (const KubeObject& object : parsed.objects) {
      const auto* ingress = std::get_if<kube::Ingress>(&object);
      if (ingress != nullptr && !OfClass(*ingress, ingress_class)) continue;
      world.Upsert(object);
    }
  }
  int assumed = 0;
  for (const auto& [name, ingress] : world.ingresses()) {
    if (ingress.spec().default_backend().has_service()) {
      AssumeService(name.ns, ingress.spec().default_backend().service(), &world, &assumed);
    }
    for (const kube::IngressRule& rule : ingress.spec().rules()) {
      for (const kube::HTTPIngressPath& path : rule.http().paths()) {
        if (path.backend().has_service()) {
          AssumeService(name.ns, path.backend().service(), &world, &assumed);
        }
      }
    }
    // The error pages' Service (the default-backend annotation), at port 80.
    for (const char* key :
         {"gatehouse.dev/default-backend", "nginx.ingress.kubernetes.io/default-backend"}) {
      auto annotation = ingress.metadata().annotations().find(key);
      if (annotation == ingress.metadata().annotations().end()) continue;
      kube::IngressServiceBackend backend;
      backend.set_name(annotation->second);
      backend.mutable_port()->set_number(80);
      AssumeService(name.ns, backend, &world, &assumed);
      break;
    }
    // The mirror-target's Service, when the URL names one of the namespace by name.
    if (std::optional<controlplane::translate::MirrorAnnotations> mirror =
            controlplane::translate::ParseAnnotations(ingress).values.mirror) {
      std::vector<std::string> labels = absl::StrSplit(mirror->host, '.');
      if (controlplane::translate::IsDnsLabel(labels[0]) &&
          (labels.size() == 1 || labels[1] == name.ns)) {
        kube::IngressServiceBackend backend;
        backend.set_name(labels[0]);
        backend.mutable_port()->set_number(mirror->port);
        AssumeService(name.ns, backend, &world, &assumed);
      }
    }
  }
  std::set<std::string> assumed_secrets;
  std::optional<controlplane::pki::XdsCertificates> placeholder;
  for (const auto& [name, ingress] : world.ingresses()) {
    for (const kube::IngressTLS& tls : ingress.spec().tls()) {
      AssumeSecret(name.ns, tls.secret_name(), &world, &assumed_secrets, &placeholder);
    }
  }
  controlplane::translate::TranslateOptions options;
  options.every_class = true;
  // An Ingress asking for passthrough was served so by a controller started with the flag.
  options.enable_ssl_passthrough = true;
  controlplane::translate::TranslateResult translated =
      controlplane::translate::Translate(world, options);
  IngressReports reports;
  for (const controlplane::translate::IngressReport& report : translated.reports) {
    gatehouse::v1::IngressReport& added = *reports.Add();
    added = controlplane::translate::ReportToProto(report);
    // A placeholder's expiry says nothing about the real certificate.
    auto* certificates = added.mutable_certificates();
    certificates->erase(std::remove_if(certificates->begin(), certificates->end(),
                                       [&](const gatehouse::v1::CertificateExpiry& certificate) {
                                         return assumed_secrets.count(certificate.secret()) > 0;
                                       }),
                        certificates->end());
  }
  for (const gatehouse::v1::IngressReport& report : reports) {
    absl::StrAppend(&result.out, FormatIngressReport(report), "\n");
  }
  if (assumed > 0) {
    absl::StrAppend(
        &result.out, "note: ", assumed,
        assumed == 1 ? " Service the Ingresses name is" : " Services the Ingresses name are",
        " not in the input; each was assumed to exist with the port named\n");
  }
  if (!assumed_secrets.empty()) {
    absl::StrAppend(&result.out, "note: ", assumed_secrets.size(),
                    assumed_secrets.size() == 1 ? " TLS Secret the Ingresses name is"
                                                : " TLS Secrets the Ingresses name are",
                    " not in the input; each was assumed to hold a usable certificate\n");
  }
  absl::StrAppend(&result.out, FormatMigrationSummary(reports));
  for (const gatehouse::v1::IngressReport& report : reports) {
    for (const gatehouse::v1::AnnotationStatus& status : report.annotations()) {
      if (!Honoured(status)) result.exit_code = 1;
    }
  }
  return result;
}

}  // namespace gatehouse::gatehousectl
