// Mutual TLS for the config stream: --xds-tls-cert, --xds-tls-key and --xds-tls-ca on both
// processes. The control plane presents its certificate and requires one from every data plane,
// signed by the CA; each data plane does the same the other way round.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace gatehouse {

// The three PEM files; all set (mTLS) or none (plaintext).
struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
  // A data plane: the name the control plane's certificate must carry (--xds-tls-server-name);
  // empty means the host of --xds-server.
  std::string server_name;

  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
  // An error unless all three are set or none is.
  absl::Status CheckComplete() const;
};

// The PEM text of a certificate, its key and the CA that peers must chain to.
struct TlsPems {
  std::string cert;
  std::string key;
  std::string ca;
};

// Server credentials that present `pems.cert` and require client certificates signed by
// `pems.ca`.
std::shared_ptr<grpc::ServerCredentials> MutualTlsServerCredentials(const TlsPems& pems);

// Server credentials that present `files.cert` and require client certificates signed by
// `files.ca`. The error names the file that could not be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const TlsFiles& files);

// Channel credentials that present `files.cert` and trust servers signed by `files.ca`.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const TlsFiles& files);

}  // namespace gatehouse
