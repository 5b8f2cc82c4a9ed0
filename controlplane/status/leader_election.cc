#include "controlplane/status/leader_election.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace gatehouse::controlplane::status {
namespace {

using gatehouse::v1::kube::Lease;
using gatehouse::v1::kube::LeaseSpec;

bool FromJson(const std::string& json, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(json, message, options).ok();
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

}  // namespace

std::string MicroTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

LeaderElector::LeaderElector(kube::KubeClient* client, Options options)
    : client_(client), options_(std::move(options)) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

std::string LeaderElector::LeasePath() const {
  return absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", options_.lease_namespace,
                      "/leases/", options_.lease_name);
}

void LeaderElector::Run() {
  absl::BitGen random;
  absl::Time last_renewal = absl::InfinitePast();
  while (!stop_.HasBeenNotified()) {
    bool held = TryAcquireOrRenew();
    absl::Time now = absl::Now();
    if (held) {
      last_renewal = now;
      if (!leading_.exchange(true)) {
        LOG_INFO("leading: this replica holds Lease ", options_.lease_namespace, "/",
                 options_.lease_name, " as ", options_.identity);
      }
    } else if (leading_.load() && now - last_renewal > options_.renew_deadline) {
      leading_ = false;
      LOG_WARNING("no longer leading: the Lease could not be renewed for ",
                  absl::FormatDuration(options_.renew_deadline));
    }
    // Renewals on time; attempts to acquire with client-go's jitter (up to 1.2 × the period).
    absl::Duration wait = leading_.load() ? options_.retry_period
                                          : options_.retry_period * absl::Uniform(random, 1.0, 1.2);
    stop_.WaitForNotificationWithTimeout(wait);
  }
  if (leading_.exchange(false)) Release();
}

bool LeaderElector::TryAcquireOrRenew() {
  const absl::Time now = absl::Now();
  absl::StatusOr<kube::KubeClient::Response> got = client_->Request("GET", LeasePath());
  if (!got.ok()) return false;
  Lease lease;
  LeaseSpec mine;
  mine.set_holder_identity(options_.identity);
  mine.set_lease_duration_seconds(static_cast<int32_t>(absl::ToInt64Seconds(options_.lease_duration)));
  mine.set_renew_time(MicroTime(now));
  if (got->status == 404) {
    mine.set_acquire_time(MicroTime(now));
    Lease created;
    created.set_api_version("coordination.k8s.io/v1");
    created.set_kind("Lease");
    created.mutable_metadata()->set_name(options_.lease_name);
    created.mutable_metadata()->set_namespace_(options_.lease_namespace);
    *created.mutable_spec() = mine;
    absl::StatusOr<kube::KubeClient::Response> posted = client_->Request(
        "POST",
        absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", options_.lease_namespace,
                     "/leases"),
        ToJson(created));
    if (!posted.ok() || (posted->status != 201 && posted->status != 200)) return false;
    if (FromJson(posted->body, &lease)) resource_version_ = lease.metadata().resource_version();
    observed_ = mine;
    observed_at_ = now;
    return true;
  }
  if (got->status != 200 || !FromJson(got->body, &lease)) return false;
  const LeaseSpec& current = lease.spec();
  if (!google::protobuf::util::MessageDifferencer::Equals(current, observed_)) {
    observed_ = current;
    observed_at_ = now;
  }
  bool ours = current.holder_identity() == options_.identity;
  absl::Duration held_for = absl::Seconds(current.lease_duration_seconds());
  if (!current.holder_identity().empty() && !ours && observed_at_ + held_for > now) {
    return false;  // another replica holds it and renews it
  }
  mine.set_acquire_time(ours && !current.acquire_time().empty() ? current.acquire_time()
                                                                : MicroTime(now));
  mine.set_lease_transitions(ours ? current.lease_transitions() : current.lease_transitions() + 1);
  Lease updated = lease;
  *updated.mutable_spec() = mine;
  absl::StatusOr<kube::KubeClient::Response> put =
      client_->Request("PUT", LeasePath(), ToJson(updated));
  if (!put.ok() || put->status != 200) return false;  // 409: someone else was quicker
  Lease stored;
  if (FromJson(put->body, &stored)) resource_version_ = stored.metadata().resource_version();
  observed_ = mine;
  observed_at_ = now;
  if (!ours) {
    LOG_INFO("took over Lease ", options_.lease_namespace, "/", options_.lease_name,
             current.holder_identity().empty()
                 ? std::string(" (it was free)")
                 : absl::StrCat(" from ", current.holder_identity(), " (not renewed for ",
                                absl::FormatDuration(held_for), ")"));
  }
  return true;
}

void LeaderElector::Release() {
  absl::StatusOr<kube::KubeClient::Response> got = client_->Request("GET", LeasePath());
  Lease lease;
  if (!got.ok() || got->status != 200 || !FromJson(got->body, &lease)) return;
  if (lease.spec().holder_identity() != options_.identity) return;
  // As client-go's ReleaseOnCancel: no holder, and a one-second lease, so the next takes over.
  lease.mutable_spec()->set_holder_identity("");
  lease.mutable_spec()->set_lease_duration_seconds(1);
  lease.mutable_spec()->set_renew_time(MicroTime(absl::Now()));
  absl::StatusOr<kube::KubeClient::Response> put =
      client_->Request("PUT", LeasePath(), ToJson(lease));
  if (put.ok() && put->status == 200) LOG_INFO("released the Lease");
}

}  // namespace gatehouse::controlplane::status
