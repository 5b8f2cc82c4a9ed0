// What a TLS handshake learnt of the client's certificate, for the requests of its connection.
// Plain data: nothing outside dataplane/tls sees OpenSSL.
#pragma once

#include <string>

namespace gatehouse::dataplane::tls {

struct PeerCertificate {
  enum class Verdict {
    kNone,             // the client sent no certificate
    kVerified,         // it chains to a CA of the validation, within its depth, and is valid now
    kUntrustedIssuer,  // only its issuer is unknown (or it is self-signed)
    kFailed,           // anything else: expired, too deep a chain, a bad signature
  };
  // The ClientValidation the handshake applied (tls::ClientValidation::name()).
  std::string validation;
  Verdict verdict = Verdict::kNone;
  std::string error;    // why it is not kVerified: the verifier's words
  std::string subject;  // its subject and issuer names, RFC 2253 (non-ASCII escaped)
  std::string issuer;
  std::string pem;  // the certificate itself
};

}  // namespace gatehouse::dataplane::tls
