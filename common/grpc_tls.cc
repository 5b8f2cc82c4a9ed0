#include "common/grpc_tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace gatehouse {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  if (contents.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " ", path, " is not PEM"));
  }
  return contents.str();
}

absl::StatusOr<TlsPems> ReadAll(const TlsFiles& files) {
  if (absl::Status complete = files.CheckComplete(); !complete.ok()) return complete;
  TlsPems pems;
  absl::StatusOr<std::string> cert = ReadPem(files.cert, "certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(files.key, "private key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem(files.ca, "CA bundle");
  if (!ca.ok()) return ca.status();
  pems.cert = *std::move(cert);
  pems.key = *std::move(key);
  pems.ca = *std::move(ca);
  return pems;
}

}  // namespace

absl::Status TlsFiles::CheckComplete() const {
  if (cert.empty() == key.empty() && key.empty() == ca.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "--xds-tls-cert, --xds-tls-key and --xds-tls-ca go together: set all three or none");
}

std::shared_ptr<grpc::ServerCredentials> MutualTlsServerCredentials(const TlsPems& pems) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pems.ca;
  options.pem_key_cert_pairs.push_back({pems.key, pems.cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const TlsFiles& files) {
  absl::StatusOr<TlsPems> pems = ReadAll(files);
  if (!pems.ok()) return pems.status();
  return MutualTlsServerCredentials(*pems);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const TlsFiles& files) {
  absl::StatusOr<TlsPems> pems = ReadAll(files);
  if (!pems.ok()) return pems.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pems->ca;
  options.pem_private_key = pems->key;
  options.pem_cert_chain = pems->cert;
  return grpc::SslCredentials(options);
}

}  // namespace gatehouse
