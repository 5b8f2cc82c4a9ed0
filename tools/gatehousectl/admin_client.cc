#include "tools/gatehousectl/admin_client.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace gatehouse::gatehousectl {
namespace {

absl::Status ToAbsl(const grpc::Status& status, const std::string& target) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(
          absl::StrCat("cannot reach ", target, ": ", status.error_message()));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat("no answer from ", target, " before the timeout"));
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::UnimplementedError(
          absl::StrCat(target, " does not serve gatehouse.v1.AdminService"));
    default:
      return absl::UnknownError(absl::StrCat(target, " answered with an error (code ",
                                             static_cast<int>(status.error_code()),
                                             "): ", status.error_message()));
  }
}

// Calls fail fast (UNAVAILABLE) when nothing listens, and give up at the deadline when the server
// accepts but does not answer.
void Prepare(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace

AdminClient::AdminClient(const HostPort& server, absl::Duration timeout)
    : target_(server.ToString()),
      timeout_(timeout),
      stub_(gatehouse::v1::AdminService::NewStub(
          grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<gatehouse::v1::GetStatusResponse> AdminClient::GetStatus() {
  grpc::ClientContext context;
  Prepare(&context, timeout_);
  gatehouse::v1::GetStatusResponse response;
  grpc::Status status = stub_->GetStatus(&context, gatehouse::v1::GetStatusRequest(), &response);
  if (!status.ok()) return ToAbsl(status, target_);
  return response;
}

absl::StatusOr<gatehouse::v1::GetConfigDumpResponse> AdminClient::GetConfigDump() {
  grpc::ClientContext context;
  Prepare(&context, timeout_);
  gatehouse::v1::GetConfigDumpResponse response;
  grpc::Status status =
      stub_->GetConfigDump(&context, gatehouse::v1::GetConfigDumpRequest(), &response);
  if (!status.ok()) return ToAbsl(status, target_);
  return response;
}

absl::StatusOr<gatehouse::v1::GetProxyStatusResponse> AdminClient::GetProxyStatus() {
  grpc::ClientContext context;
  Prepare(&context, timeout_);
  gatehouse::v1::GetProxyStatusResponse response;
  grpc::Status status =
      stub_->GetProxyStatus(&context, gatehouse::v1::GetProxyStatusRequest(), &response);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return absl::UnimplementedError(
        absl::StrCat(target_,
                     " is not a control plane (proxy-status lists a control plane's "
                     "data planes; use --server=CONTROL_PLANE_ADMIN)"));
  }
  if (!status.ok()) return ToAbsl(status, target_);
  return response;
}

}  // namespace gatehouse::gatehousectl
