#include "common/grpc_server.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/listen_socket.h"

namespace gatehouse {

absl::StatusOr<RunningGrpcServer> StartGrpcServer(
    const HostPort& address, const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  // Bind once and let go first, so a taken port is one clear error rather than gRPC's
  // multi-line bind log.
  if (address.port != 0) {
    absl::StatusOr<int> probe = ListenTcp(address, /*reuse_port=*/false, 1);
    if (!probe.ok()) return probe.status();
    close(*probe);
  }
  RunningGrpcServer running;
  grpc::ServerBuilder builder;
  // One port owner at a time: a second process on the same port must fail, not share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Let clients ping every few seconds on idle streams (data planes do, to notice a dead peer).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddListeningPort(address.ToString(),
                           credentials != nullptr ? credentials : grpc::InsecureServerCredentials(),
                           &running.port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  running.server = builder.BuildAndStart();
  if (running.server == nullptr || running.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address.ToString()));
  }
  return running;
}

}  // namespace gatehouse
