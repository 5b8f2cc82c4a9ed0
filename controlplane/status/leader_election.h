// Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// one replica at a time writes what only one should (Ingress status, Events).
//
// Every `retry_period` a replica that does not lead reads the Lease and takes it when it is
// free or its holder has not renewed it for `lease_duration` (judged by when this replica last
// saw it change, not by comparing clocks); the leader renews it every `retry_period` and stops
// leading when it could not for `renew_deadline`. Updates carry the Lease's resourceVersion, so
// two replicas racing for it cannot both win. On Stop the leader hands the Lease back.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controlplane/kube/kube_client.h"
#include "gatehouse/v1/kube.pb.h"

namespace gatehouse::controlplane::status {

class LeaderElector {
 public:
  struct Options {
    std::string lease_namespace;
    std::string lease_name;
    std::string identity;  // this replica's, unique among them
    absl::Duration lease_duration = absl::Seconds(15);
    absl::Duration renew_deadline = absl::Seconds(10);
    absl::Duration retry_period = absl::Seconds(2);
  };

  // `client` must outlive the elector.
  LeaderElector(kube::KubeClient* client, Options options);
  ~LeaderElector();

  void Start();
  // Stops trying; a leader releases the Lease first. Idempotent.
  void Stop();
  // True while this replica holds the Lease and renewed it within the renew deadline; checked
  // at every call, so a renewal stuck in a slow request ends the leadership on time.
  bool leading() const;

 private:
  void Run();
  enum class Round { kHeld, kHeldByOther, kFailed };
  // One round: takes or renews the Lease.
  Round TryAcquireOrRenew();
  void Release();
  std::string LeasePath() const;

  kube::KubeClient* const client_;
  const Options options_;
  std::atomic<bool> leading_{false};
  std::atomic<int64_t> renewed_ns_{0};  // the last successful renewal, Unix nanoseconds
  absl::Notification stop_;
  std::thread thread_;
  // Loop thread only.
  gatehouse::v1::kube::LeaseSpec observed_;  // the Lease as last read
  absl::Time observed_at_ = absl::InfinitePast();  // when it last changed, by our clock
};

// Now, as the RFC 3339 time with microseconds the Kubernetes API uses (MicroTime).
std::string MicroTime(absl::Time time);

}  // namespace gatehouse::controlplane::status
