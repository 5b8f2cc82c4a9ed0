#include "dataplane/config/config_client.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/process.h"
#include "common/resource_types.h"
#include "gatehouse/v1/discovery.grpc.pb.h"

namespace gatehouse::dataplane::config {
namespace {

constexpr absl::Duration kInitialBackoff = absl::Milliseconds(250);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
constexpr int kMaxConfigMessageBytes = 1 << 30;

}  // namespace

ConfigClient::ConfigClient(std::vector<HostPort> servers, std::string node_id, Security security,
                           ApplyFn apply, const tls::ServerSettings* tls)
    : servers_(std::move(servers)),
      node_id_(std::move(node_id)),
      security_(std::move(security)),
      apply_(std::move(apply)),
      tls_(tls) {}

ConfigClient::~ConfigClient() { Stop(); }

void ConfigClient::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ConfigClient::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

ConfigClient::Snapshot ConfigClient::GetSnapshot() const {
  absl::MutexLock lock(&mutex_);
  return snapshot_;
}

void ConfigClient::Run() {
  std::mt19937_64 random(std::random_device{}());
  absl::Duration backoff = kInitialBackoff;
  size_t next = 0;
  Counter* reconnects = MetricsRegistry::Global().GetCounter(
      "gatehouse_dataplane_config_stream_reconnects_total",
      "Times the config stream to a control plane ended and was reopened.");
  while (true) {
    const HostPort& server = servers_[next++ % servers_.size()];
    bool received_any = false;
    std::string why = StreamFrom(server, &received_any);
    {
      absl::MutexLock lock(&mutex_);
      snapshot_.server.clear();
      if (stopping_) return;
      snapshot_.last_error = absl::StrCat("control plane ", server.ToString(), ": ", why);
    }
    reconnects->Increment();
    if (received_any) backoff = kInitialBackoff;
    // Full jitter between half and all of the backoff, so replicas do not reconnect in step.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::Duration wait = backoff * jitter(random);
    LOG_INFO("config stream to ", server.ToString(), " ended (", why, "); retrying in ",
             absl::FormatDuration(wait));
    backoff = std::min(backoff * 2, kMaxBackoff);
    absl::MutexLock lock(&mutex_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_; };
    if (mutex_.AwaitWithTimeout(absl::Condition(&stopping), wait)) return;
  }
}

std::string ConfigClient::StreamFrom(const HostPort& server, bool* received_any) {
  // Keepalive pings notice a control plane that vanished without closing the connection, so
  // the client moves on to another one instead of waiting on a dead stream forever.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A first full response of a large world passes gRPC's default 4 MiB receive limit (100,000
  // endpoints are about 4 MiB); the control plane is trusted, so the limit is its size alone.
  arguments.SetMaxReceiveMessageSize(kMaxConfigMessageBytes);
  if (security_.credentials != nullptr && !security_.server_name.empty()) {
    arguments.SetSslTargetNameOverride(security_.server_name);
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      server.ToString(),
      security_.credentials != nullptr ? security_.credentials : grpc::InsecureChannelCredentials(),
      arguments);
  std::unique_ptr<v1::ConfigDiscoveryService::Stub> stub =
      v1::ConfigDiscoveryService::NewStub(channel);
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return "stopping";
    active_context_ = &context;
  }
  auto clear_context = [this] {
    absl::MutexLock lock(&mutex_);
    active_context_ = nullptr;
  };
  std::unique_ptr<grpc::ClientReaderWriter<v1::DiscoveryRequest, v1::DiscoveryResponse>> stream =
      stub->StreamConfig(&context);

  // Subscribe to every type, saying which version is already running.
  bool first = true;
  for (absl::string_view type : kResourceTypesInOrder) {
    v1::DiscoveryRequest request;
    if (first) {
      request.mutable_node()->set_id(node_id_);
      request.mutable_node()->set_build_version(std::string(kBuildVersion));
      first = false;
    }
    request.set_type_url(std::string(type));
    {
      absl::MutexLock lock(&mutex_);
      auto it = sets_.find(std::string(type));
      if (it != sets_.end()) request.set_version_info(it->second.version);
    }
    if (!stream->Write(request)) break;
  }

  Counter* nacks = MetricsRegistry::Global().GetCounter("gatehouse_dataplane_config_nacks_total",
                                                        "Config versions refused as invalid.");
  Counter* applied = MetricsRegistry::Global().GetCounter(
      "gatehouse_dataplane_config_applied_total", "Config versions applied.");
  // The control plane answers the stream's opening at once, so a replica that has nothing new
  // to send (it runs the same versions) still counts as reached.
  stream->WaitForInitialMetadata();
  if (context.GetServerInitialMetadata().count(std::string(kStreamOpenedMetadata)) > 0) {
    LOG_INFO("config stream to ", server.ToString(), " established");
    *received_any = true;
    absl::MutexLock lock(&mutex_);
    snapshot_.server = server.ToString();
    snapshot_.last_error.clear();
  }
  v1::DiscoveryResponse response;
  while (stream->Read(&response)) {
    std::map<std::string, ResourceSet> candidate;
    std::string previous_version;
    std::shared_ptr<const DataplaneConfig> previous;
    {
      absl::MutexLock lock(&mutex_);
      candidate = sets_;
      previous_version = candidate[response.type_url()].version;
      previous = snapshot_.config;
    }

    v1::DiscoveryRequest answer;
    answer.set_type_url(response.type_url());
    answer.set_response_nonce(response.nonce());
    const absl::Time started = absl::Now();
    absl::Status applied_response = ApplyResponse(response, candidate);
    absl::StatusOr<std::shared_ptr<const DataplaneConfig>> built =
        applied_response.ok()
            ? DataplaneConfig::Build(candidate, previous.get(), *tls_)
            : absl::StatusOr<std::shared_ptr<const DataplaneConfig>>(applied_response);
    if (built.ok()) {
      apply_(*built);
      applied->Increment();
      answer.set_version_info(response.version_info());
      const std::vector<std::string>& dropped = (*built)->DroppedOf(response.type_url());
      std::string left_out;
      if (dropped.empty()) {
        LOG_INFO("applied ", response.type_url(), " version ", response.version_info(), " in ",
                 absl::ToInt64Milliseconds(absl::Now() - started), " ms");
      } else {
        // Applied without what cannot be served; the NACK tells the control plane what was
        // left out (and makes it send the next version of this type whole).
        nacks->Increment();
        left_out = absl::StrCat(
            "applied in part, without ", dropped.size(),
            dropped.size() == 1 ? " resource: " : " resources: ", absl::StrJoin(dropped, "; "));
        LOG_WARNING(response.type_url(), " version ", response.version_info(), " ", left_out);
        answer.mutable_error_detail()->set_code(
            static_cast<int>(absl::StatusCode::kInvalidArgument));
        answer.mutable_error_detail()->set_message(left_out);
      }
      absl::MutexLock lock(&mutex_);
      sets_ = std::move(candidate);
      snapshot_.config = *std::move(built);
      if (!left_out.empty()) {
        snapshot_.last_error =
            absl::StrCat(response.type_url(), " version ", response.version_info(), " ", left_out);
      }
    } else {
      nacks->Increment();
      std::string error = std::string(built.status().message());
      LOG_WARNING("refused ", response.type_url(), " version ", response.version_info(), ": ",
                  error);
      answer.set_version_info(previous_version);
      answer.mutable_error_detail()->set_code(static_cast<int>(built.status().code()));
      answer.mutable_error_detail()->set_message(error);
      absl::MutexLock lock(&mutex_);
      snapshot_.last_error = absl::StrCat("refused ", response.type_url(), " version ",
                                          response.version_info(), ": ", error);
    }
    if (!stream->Write(answer)) break;
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  clear_context();
  if (status.ok()) return "closed by the control plane";
  return status.error_message().empty() ? absl::StrCat("gRPC code ", status.error_code())
                                        : status.error_message();
}

}  // namespace gatehouse::dataplane::config
