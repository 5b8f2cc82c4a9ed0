// What the leader writes back to Kubernetes: each of our Ingresses' status.loadBalancer (the
// data planes' address, from --publish-service or --publish-address), and a Warning Event on each
// Ingress that is rejected or only partly applied, so `kubectl describe ingress` says why, and on
// each whose certificate expires within 14 days (CertificateExpiring) or has expired
// (CertificateExpired).
//
// It works from the control plane's Ingress reports, so it never touches an Ingress of another
// class, and writes only what changed since it last wrote (everything again after it becomes
// leader). Replicas that do not lead write nothing.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controlplane/kube/kube_client.h"
#include "controlplane/status/leader_election.h"
#include "controlplane/translate/report.h"
#include "gatehouse/v1/admin.pb.h"

namespace gatehouse::controlplane::status {

class StatusWriter {
 public:
  struct Options {
    std::string publish_service;  // NS/NAME: its status.loadBalancer is the address
    std::string publish_address;  // an IP or a host name
    std::string identity;         // this replica, for the Events' reportingInstance
    absl::Duration period = absl::Seconds(2);
  };
  using Reports = std::function<std::vector<translate::IngressReport>()>;

  // `client` and `elector` must outlive the writer.
  StatusWriter(kube::KubeClient* client, const LeaderElector* elector, Options options,
               Reports reports);
  ~StatusWriter();

  void Start();
  void Stop();

 private:
  void Run();
  // The load-balancer entries to publish as JSON ({"ingress":[...]}), or "" when unknown.
  std::string LoadBalancerJson();
  void WriteStatuses(const std::vector<translate::IngressReport>& reports);
  void WriteEvents(const std::vector<translate::IngressReport>& reports);
  // Records a Warning Event on the report's Ingress; false when the API server did not take it.
  bool PostEvent(const translate::IngressReport& report, const std::string& reason,
                 const std::string& message);

  kube::KubeClient* const client_;
  const LeaderElector* const elector_;
  const Options options_;
  const Reports reports_;
  absl::Notification stop_;
  std::thread thread_;
  // Loop thread only: the Ingress (its uid, so one recreated under the same name counts as
  // new) → what was last written there.
  std::map<std::string, std::string> written_status_;
  std::map<std::string, std::string> written_event_;
  absl::BitGen random_;  // Event names
};

}  // namespace gatehouse::controlplane::status
