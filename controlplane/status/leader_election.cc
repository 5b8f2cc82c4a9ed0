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

bool LeaderElector::leading() const {
  if (!leading_.load()) return false;
  return absl::Now() - absl::FromUnixNanos(renewed_ns_.load()) <= options_.renew_deadline;
}

void LeaderElector::Run() {
  absl::BitGen random;
  while (!stop_.HasBeenNotified()) {
    Round round = TryAcquireOrRenew();
    absl::Time now = absl::Now();
    if (round == Round::kHeld) {
      renewed_ns_ = absl::ToUnixNanos(now);
      if (!leading_.exchange(true)) {
        LOG_INFO("leading: this replica holds Lease ", options_.lease_namespace, "/",
                 options_.lease_name, " as ", options_.identity);
      }
    } else if (leading_.load() &&
               (round == Round::kHeldByOther ||
                now - absl::FromUnixNanos(renewed_ns_.load()) > options_.renew_deadline)) {
      leading_ = false;
      LOG_WARNING("no longer leading: ", round == Round::kHeldByOther
                                             ? std::string("another replica holds the Lease")
                                             : absl::StrCat("the Lease could not be renewed for ",
                                                            absl::FormatDuration(
                                                                options_.renew_deadline)));
    }
    // Renewals on time; attempts to acquire with client-go's jitter (up to 1.2 × the period).
    absl::Duration wait = leading_.load() ? options_.retry_period
                                          : options_.retry_period * absl::Uniform(random, 1.0, 1.2);
    stop_.WaitForNotificationWithTimeout(wait);
  }
  if (leading_.exchange(false)) Release();
}

LeaderElector::Round LeaderElector::TryAcquireOrRenew() {
  const absl::Time now = absl::Now();
  // No request may outlast a round: a slow API server must not keep a stale leader writing.
  const absl::Duration timeout = options_.retry_period;
  absl::StatusOr<kube::KubeClient::Response> got =
      client_->Request("GET", LeasePath(), {}, "application/json", &stop_, timeout);
  if (!got.ok()) return Round::kFailed;
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
        ToJson(created), "application/json", &stop_, timeout);
    if (!posted.ok()) return Round::kFailed;
    if (posted->status == 409) return Round::kHeldByOther;  // created by another just now
    if (posted->status != 201 && posted->status != 200) return Round::kFailed;
    observed_ = mine;
    observed_at_ = now;
    return Round::kHeld;
  }
  if (got->status != 200 || !FromJson(got->body, &lease)) return Round::kFailed;
  const LeaseSpec& current = lease.spec();
  if (!google::protobuf::util::MessageDifferencer::Equals(current, observed_)) {
    observed_ = current;
    observed_at_ = now;
  }
  bool ours = current.holder_identity() == options_.identity;
  absl::Duration held_for = absl::Seconds(current.lease_duration_seconds());
  if (!current.holder_identity().empty() && !ours && observed_at_ + held_for > now) {
    return Round::kHeldByOther;  // another replica holds it and renews it
  }
  mine.set_acquire_time(ours && !current.acquire_time().empty() ? current.acquire_time()
                                                                : MicroTime(now));
  mine.set_lease_transitions(ours ? current.lease_transitions() : current.lease_transitions() + 1);
  Lease updated = lease;
  *updated.mutable_spec() = mine;
  absl::StatusOr<kube::KubeClient::Response> put = client_->Request(
      "PUT", LeasePath(), ToJson(updated), "application/json", &stop_, timeout);
  if (!put.ok()) return Round::kFailed;
  if (put->status == 409) return Round::kHeldByOther;  // another replica wrote it first
  if (put->status != 200) return Round::kFailed;
  observed_ = mine;
  observed_at_ = now;
  if (!ours) {
    LOG_INFO("took over Lease ", options_.lease_namespace, "/", options_.lease_name,
             current.holder_identity().empty()
                 ? std::string(" (it was free)")
                 : absl::StrCat(" from ", current.holder_identity(), " (not renewed for ",
                                absl::FormatDuration(held_for), ")"));
  }
  return Round::kHeld;
}

void LeaderElector::Release() {
  const absl::Duration timeout = options_.retry_period;  // shutting down: do not linger
  absl::StatusOr<kube::KubeClient::Response> got =
      client_->Request("GET", LeasePath(), {}, "application/json", nullptr, timeout);
  Lease lease;
  if (!got.ok() || got->status != 200 || !FromJson(got->body, &lease)) return;
  if (lease.spec().holder_identity() != options_.identity) return;
  // As client-go's ReleaseOnCancel: no holder, and a one-second lease, so the next takes over.
  lease.mutable_spec()->set_holder_identity("");
  lease.mutable_spec()->set_lease_duration_seconds(1);
  lease.mutable_spec()->set_renew_time(MicroTime(absl::Now()));
  absl::StatusOr<kube::KubeClient::Response> put =
      client_->Request("PUT", LeasePath(), ToJson(lease), "application/json", nullptr, timeout);
  if (put.ok() && put->status == 200) LOG_INFO("released the Lease");
}

}  // namespace gatehouse::controlplane::status
