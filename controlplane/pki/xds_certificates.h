// The config stream's certificates, made by the control plane for a cluster without a PKI of
// its own: a CA, the control plane's server certificate and the data planes' client
// certificate, all ECDSA P-256 and SHA-256, made with OpenSSL. The CA's key is used once, to sign
// the two, and then dropped: nothing can issue another certificate the stream would accept.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gatehouse::controlplane::pki {

struct XdsCertificates {
  std::string ca_cert;  // PEM, the trust anchor both sides check the other against
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

// `server_names`: the DNS names the data planes dial (the xDS Service's names), put in the
// server certificate's subjectAltName; at least one. Each certificate is valid from an hour ago
// (clock skew) for `validity`.
absl::StatusOr<XdsCertificates> MakeXdsCertificates(const std::vector<std::string>& server_names,
                                                    absl::Duration validity);

}  // namespace gatehouse::controlplane::pki
