#include "controlplane/translate/client_certificates.h"

#include <tuple>

#include "absl/strings/str_cat.h"
#include "controlplane/translate/routes.h"
#include "dataplane/tls/tls_context.h"

namespace gatehouse::controlplane::translate {
namespace {

// The key of a Secret holding a CA bundle, as ingress-nginx reads it.
constexpr char kCaKey[] = "ca.crt";

bool SameSettings(const ClientCertAnnotations& a, const ClientCertAnnotations& b) {
  return std::tie(a.secret, a.mode, a.verify_depth, a.error_page, a.pass_certificate, a.refused) ==
         std::tie(b.secret, b.mode, b.verify_depth, b.error_page, b.pass_certificate, b.refused);
}

}  // namespace

std::string ClientCertificateHosts::ValidationFor(const ClientCertAnnotations& settings,
                                                  std::string* why) {
  std::string name = absl::StrCat(settings.secret, " depth ", settings.verify_depth);
  if (validations_.count(name) > 0) return name;
  if (auto refused = refused_.find(name); refused != refused_.end()) {
    *why = refused->second;
    return "";
  }
  size_t slash = settings.secret.find('/');
  auto secret =
      world_.secrets().find({settings.secret.substr(0, slash), settings.secret.substr(slash + 1)});
  std::string problem;
  if (secret == world_.secrets().end()) {
    problem = "does not exist";
  } else if (secret->second.data().count(kCaKey) == 0) {
    problem = absl::StrCat("has no ", kCaKey);
  } else {
    // As the data plane will load it.
    auto checked = dataplane::tls::ClientValidation::Create(
        name, secret->second.data().at(kCaKey), static_cast<int>(settings.verify_depth));
    if (!checked.ok()) problem = absl::StrCat(kCaKey, ": ", checked.status().message());
  }
  if (!problem.empty()) {
    *why = absl::StrCat("auth-tls-secret: secret ", settings.secret, " ", problem,
                        "; every request to the Ingress's hosts gets 503 until it is mended");
    refused_[name] = *why;
    return "";
  }
  gatehouse::v1::ClientValidation& validation = validations_[name];
  validation.set_name(name);
  validation.set_trusted_ca(secret->second.data().at(kCaKey));
  validation.set_verify_depth(settings.verify_depth);
  return name;
}

void ClientCertificateHosts::Add(const std::string& source, const ClientCertAnnotations& settings,
                                 const std::vector<std::string>& domains,
                                 std::vector<std::string>* reasons) {
  std::string validation;
  if (settings.refused.empty()) {
    std::string why;
    validation = ValidationFor(settings, &why);
    if (!why.empty()) reasons->push_back(why);
  }
  for (const std::string& domain : domains) {
    if (domain == kAnyHost) {
      reasons->push_back(
          "auth-tls-secret: rules without a host are not checked: a client certificate is asked "
          "for by the TLS server name, and they have none; name the host");
      continue;
    }
    auto [claim, added] = hosts_.try_emplace(domain, Claim{source, settings, validation});
    if (!added && claim->second.source != source &&
        !SameSettings(claim->second.settings, settings)) {
      reasons->push_back(absl::StrCat("auth-tls-*: host ", domain,
                                      " already has the client-certificate settings of ",
                                      claim->second.source, " (older); these are not applied"));
    }
  }
}

std::map<std::string, gatehouse::v1::Filter> ClientCertificateHosts::Filters() const {
  std::map<std::string, gatehouse::v1::Filter> filters;
  for (const auto& [domain, claim] : hosts_) {
    gatehouse::v1::ClientCertificate& filter = *filters[domain].mutable_client_certificate();
    if (claim.validation.empty()) {
      filter.set_deny(true);
      continue;
    }
    filter.set_validation(claim.validation);
    filter.set_mode(claim.settings.mode);
    filter.set_error_page(claim.settings.error_page);
    filter.set_pass_certificate(claim.settings.pass_certificate);
  }
  return filters;
}

std::vector<gatehouse::v1::ClientValidation> ClientCertificateHosts::Validations(
    absl::FunctionRef<std::vector<std::string>(const std::string&)> names_of) const {
  std::map<std::string, gatehouse::v1::ClientValidation> used;
  for (const auto& [domain, claim] : hosts_) {
    if (claim.validation.empty()) continue;
    auto [entry, added] = used.try_emplace(claim.validation, validations_.at(claim.validation));
    for (const std::string& name : names_of(domain)) entry->second.add_server_names(name);
  }
  std::vector<gatehouse::v1::ClientValidation> out;
  for (auto& [name, validation] : used) out.push_back(std::move(validation));
  return out;
}

}  // namespace gatehouse::controlplane::translate
