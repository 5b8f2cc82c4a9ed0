#include "controlplane/translate/client_certificates.h"

#include <openssl/sha.h>

#include <set>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controlplane/translate/routes.h"
#include "dataplane/tls/tls_context.h"

namespace gatehouse::controlplane::translate {
namespace {

// The keys of a Secret holding a CA bundle and revocation lists, as ingress-nginx reads them.
constexpr char kCaKey[] = "ca.crt";
constexpr char kCrlKey[] = "ca.crl";

// The Secret's revocation lists, or "" when it has none.
std::string RevocationLists(const objects::kube::Secret& secret) {
  auto crl = secret.data().find(kCrlKey);
  return crl == secret.data().end() ? std::string() : crl->second;
}

bool SameSettings(const ClientCertAnnotations& a, const ClientCertAnnotations& b) {
  return std::tie(a.secret, a.mode, a.verify_depth, a.error_page, a.pass_certificate,
                  a.subject_match, a.refused) == std::tie(b.secret, b.mode, b.verify_depth,
                                                          b.error_page, b.pass_certificate,
                                                          b.subject_match, b.refused);
}

}  // namespace

std::string ClientCertificateHosts::ValidationFor(const ClientCertAnnotations& settings,
                                                  std::string* why) {
  std::string base = absl::StrCat(settings.secret, " depth ", settings.verify_depth);
  if (auto known = by_settings_.find(base); known != by_settings_.end()) {
    if (known->second.empty()) *why = refused_.at(base);
    return known->second;
  }
  std::string& name = by_settings_[base];
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
    std::string crl = RevocationLists(secret->second);
    auto checked = dataplane::tls::ClientValidation::Create(
        base, secret->second.data().at(kCaKey), crl, static_cast<int>(settings.verify_depth));
    if (!checked.ok()) {
      problem = absl::StrCat(crl.empty() ? kCaKey : absl::StrCat(kCaKey, " or ", kCrlKey), ": ",
                             checked.status().message());
    }
  }
  if (!problem.empty()) {
    *why = absl::StrCat("auth-tls-secret: secret ", settings.secret, " ", problem,
                        "; every request to the Ingress's hosts gets 503 until it is mended");
    refused_[base] = *why;
    return "";
  }
  // The digest of the CAs and revocation lists is in the name: a connection checked against
  // earlier ones is not this validation's, and its next request gets 421 (a certificate revoked
  // since its handshake is refused on its next connection).
  const std::string& ca = secret->second.data().at(kCaKey);
  std::string crl = RevocationLists(secret->second);
  std::string hashed = absl::StrCat(ca.size(), ":", ca, crl);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(hashed.data()), hashed.size(), digest);
  name = absl::StrCat(
      base, " ca ",
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8)));
  gatehouse::v1::ClientValidation& validation = validations_[name];
  validation.set_name(name);
  validation.set_trusted_ca(ca);
  validation.set_crl(std::move(crl));
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
      // A certificate is asked for by the TLS server name, and these rules have none: their
      // paths are refused rather than served unchecked (the host is everyone's; only this
      // Ingress's routes on it are).
      reasons->push_back(
          "auth-tls-secret: rules without a host cannot ask for a client certificate (it is asked "
          "for by the TLS server name); their paths answer 503: name the host");
      hostless_.push_back(source);
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
    filter.set_subject_match(claim.settings.subject_match);
  }
  return filters;
}

void ClientCertificateHosts::DenyHostlessRoutes(VirtualHostTable* table) const {
  gatehouse::v1::Filter deny;
  deny.mutable_client_certificate()->set_deny(true);
  for (const std::string& source : hostless_) {
    table->AddFilterToRoutesOf(std::string(kAnyHost), source, deny);
  }
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

std::vector<std::string> ClientCertificateHosts::UncheckedNames(
    const std::vector<gatehouse::v1::ClientValidation>& validations,
    const std::vector<std::string>& served) {
  std::set<std::string> validated;
  for (const gatehouse::v1::ClientValidation& validation : validations) {
    validated.insert(validation.server_names().begin(), validation.server_names().end());
  }
  std::set<std::string> out;
  for (const std::string& name : served) {
    size_t dot = name.find('.');
    if (absl::StartsWith(name, "*") || dot == std::string::npos || validated.count(name) > 0) {
      continue;
    }
    if (validated.count(absl::StrCat("*", name.substr(dot))) > 0) out.insert(name);
  }
  return std::vector<std::string>(out.begin(), out.end());
}

}  // namespace gatehouse::controlplane::translate
