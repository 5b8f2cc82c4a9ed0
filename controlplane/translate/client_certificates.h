// auth-tls-* for the hosts (ingress-nginx's client-certificate authentication). The settings are
// a host's, as nginx's ssl_verify_client is a server's: every path of the host is checked, and
// the host takes the settings of the oldest Ingress that sets them for it; a younger Ingress
// with other settings for the host is told so. The https listener gets one ClientValidation per
// CA Secret and depth, each for the names of its hosts (and their aliases); each host gets a
// ClientCertificate filter before its routes' own.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "controlplane/objects/object_store.h"
#include "controlplane/translate/annotations.h"
#include "controlplane/translate/routes.h"
#include "gatehouse/v1/config.pb.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::controlplane::translate {

class ClientCertificateHosts {
 public:
  explicit ClientCertificateHosts(const objects::ObjectStore& world) : world_(world) {}

  // Claims `domains` (vhost domains of `source`, an Ingress "ns/name", added oldest first) for
  // `settings`; what is not applied, and why, goes to `reasons`.
  void Add(const std::string& source, const ClientCertAnnotations& settings,
           const std::vector<std::string>& domains, std::vector<std::string>* reasons);

  // Refuses (503) the routes on the "*" host of the Ingresses that asked for client
  // certificates there: no TLS server name can ask for them.
  void DenyHostlessRoutes(VirtualHostTable* table) const;

  // The ClientCertificate filter of each claimed domain.
  std::map<std::string, gatehouse::v1::Filter> Filters() const;

  // The listener's validations; `names_of(domain)` gives the names a host is served as.
  std::vector<gatehouse::v1::ClientValidation> Validations(
      absl::FunctionRef<std::vector<std::string>(const std::string&)> names_of) const;

  // Of `served` (every name the listener serves), the exact names that a wildcard of
  // `validations` covers but that have no validation of their own: they must ask for nothing.
  static std::vector<std::string> UncheckedNames(
      const std::vector<gatehouse::v1::ClientValidation>& validations,
      const std::vector<std::string>& served);

 private:
  struct Claim {
    std::string source;
    ClientCertAnnotations settings;
    std::string validation;  // its ClientValidation's name; empty when refused
  };
  // The validation for a Secret and depth, made (and checked) once; on failure, why.
  std::string ValidationFor(const ClientCertAnnotations& settings, std::string* why);

  const objects::ObjectStore& world_;
  std::map<std::string, Claim> hosts_;                                  // by domain
  std::map<std::string, gatehouse::v1::ClientValidation> validations_;  // by name
  std::vector<std::string> hostless_;               // Ingresses with rules without a host
  std::map<std::string, std::string> by_settings_;  // "secret depth N" → name, "" if refused
  std::map<std::string, std::string> refused_;      // "secret depth N" → why it cannot be made
};

}  // namespace gatehouse::controlplane::translate
