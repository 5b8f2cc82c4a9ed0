// TLS Secrets for Ingress spec.tls: checking that a kubernetes.io/tls Secret holds a usable
// certificate and key before any data plane is given it.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controlplane/objects/kube_objects.h"

namespace gatehouse::controlplane::translate {

// Whether `certificate_chain` is one or more PEM certificates and `private_key` a PEM private
// key (RSA in PKCS#1 or PKCS#8, or ECDSA) of the first. Errors never quote the key.
absl::Status CheckKeyPair(absl::string_view certificate_chain, absl::string_view private_key);

// When the first certificate of `certificate_chain` (the one served) stops being valid.
absl::StatusOr<absl::Time> CertificateNotAfter(absl::string_view certificate_chain);

// The same for a Secret: of type kubernetes.io/tls, with tls.crt and tls.key.
absl::Status CheckTlsSecret(const objects::kube::Secret& secret);

}  // namespace gatehouse::controlplane::translate
