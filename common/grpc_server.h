// Starting a gRPC server on a HOST:PORT flag value.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net_address.h"
#include "grpcpp/grpcpp.h"

namespace gatehouse {

struct RunningGrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the bound port, useful when the flag asked for port 0
};

// Builds and starts an insecure server on `address` serving `services` (not owned; they must
// outlive the server), with `credentials` (plaintext when null). A port already taken is reported
// as "cannot listen on ADDRESS: ...".
absl::StatusOr<RunningGrpcServer> StartGrpcServer(
    const HostPort& address, const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials = nullptr);

}  // namespace gatehouse
