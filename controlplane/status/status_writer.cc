#include "controlplane/status/status_writer.h"

#include <arpa/inet.h>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "gatehouse/v1/kube.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gatehouse::controlplane::status {
namespace {

using translate::IngressReport;
namespace kube_api = gatehouse::v1::kube;

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

bool IsIp(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// What the writer remembers an Ingress by: its uid when it has one (the API always gives one).
std::string Identity(const IngressReport& report) {
  if (!report.uid.empty()) return report.uid;
  return report.Key();
}

bool Ours(const IngressReport& report) { return report.served(); }

}  // namespace

StatusWriter::StatusWriter(kube::KubeClient* client, const LeaderElector* elector, Options options,
                           Reports reports)
    : client_(client),
      elector_(elector),
      options_(std::move(options)),
      reports_(std::move(reports)) {}

StatusWriter::~StatusWriter() { Stop(); }

void StatusWriter::Start() {
  thread_ = std::thread([this] { Run(); });
}

void StatusWriter::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void StatusWriter::Run() {
  while (!stop_.WaitForNotificationWithTimeout(options_.period)) {
    if (!elector_->leading()) {
      // A new leader (this one, later) writes everything again.
      written_status_.clear();
      written_event_.clear();
      continue;
    }
    std::vector<IngressReport> reports = reports_();
    WriteStatuses(reports);
    WriteEvents(reports);
  }
}

std::string StatusWriter::LoadBalancerJson() {
  kube_api::IngressLoadBalancerStatus status;
  if (!options_.publish_address.empty()) {
    auto* entry = status.add_ingress();
    if (IsIp(options_.publish_address)) {
      entry->set_ip(options_.publish_address);
    } else {
      entry->set_hostname(options_.publish_address);
    }
  } else if (!options_.publish_service.empty()) {
    std::vector<std::string> parts = absl::StrSplit(options_.publish_service, '/');
    absl::StatusOr<kube::KubeClient::Response> got = client_->Request(
        "GET", absl::StrCat("/api/v1/namespaces/", parts[0], "/services/", parts[1]));
    kube_api::Service service;
    google::protobuf::util::JsonParseOptions parse;
    parse.ignore_unknown_fields = true;
    if (!got.ok() || got->status != 200 ||
        !google::protobuf::util::JsonStringToMessage(got->body, &service, parse).ok()) {
      return "";
    }
    status = service.status().load_balancer();
  } else {
    return "";
  }
  if (status.ingress().empty()) return "";
  return ToJson(status);
}

void StatusWriter::WriteStatuses(const std::vector<IngressReport>& reports) {
  std::string load_balancer = LoadBalancerJson();
  if (load_balancer.empty()) return;
  std::string patch = absl::StrCat("{\"status\":{\"loadBalancer\":", load_balancer, "}}");
  std::map<std::string, std::string> still;
  for (const IngressReport& report : reports) {
    if (!Ours(report)) continue;  // never another class's Ingress
    std::string key = report.Key();
    std::string identity = Identity(report);
    auto it = written_status_.find(identity);
    if (it != written_status_.end() && it->second == patch) {
      still.emplace(identity, patch);
      continue;
    }
    absl::StatusOr<kube::KubeClient::Response> patched =
        client_->Request("PATCH",
                         absl::StrCat("/apis/networking.k8s.io/v1/namespaces/", report.ns,
                                      "/ingresses/", report.name, "/status"),
                         patch, "application/merge-patch+json");
    if (patched.ok() && patched->status == 200) {
      LOG_INFO("ingress ", key, ": status.loadBalancer set to ", load_balancer);
      still.emplace(identity, patch);
    } else {
      LOG_WARNING("ingress ", key, ": cannot write its status: ",
                  patched.ok() ? absl::StrCat("HTTP ", patched->status)
                               : std::string(patched.status().message()));
    }
  }
  written_status_ = std::move(still);
}

namespace {

// The Events an Ingress's report calls for: a key (one Event per key and message), the reason
// and the message.
struct EventToSay {
  std::string key;
  std::string reason;
  std::string message;
};

// At most this many annotations are named in one Event; the rest are counted.
constexpr size_t kMaxAnnotationsInEvent = 10;

// "3 days", or within two days "30 hours", or "less than an hour".
std::string TimeLeft(absl::Duration left) {
  int64_t hours = absl::ToInt64Hours(left);
  if (hours >= 48) return absl::StrCat(hours / 24, " days");
  if (hours >= 1) return absl::StrCat(hours, hours == 1 ? " hour" : " hours");
  return "less than an hour";
}

std::vector<EventToSay> EventsFor(const IngressReport& report, absl::Time now) {
  std::vector<EventToSay> out;
  bool rejected = report.state == IngressReport::State::kRejected;
  if (rejected || report.state == IngressReport::State::kPartlyAccepted) {
    out.push_back(
        {"state", rejected ? "Rejected" : "PartlyAccepted", absl::StrJoin(report.reasons, "; ")});
  }
  if (!report.served()) return out;
  for (const translate::CertificateExpiry& certificate : report.certificates) {
    absl::Duration left = certificate.not_after - now;
    if (left > translate::kCertificateExpiryWarning) continue;
    std::string until =
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", certificate.not_after, absl::UTCTimeZone());
    bool expired = left <= absl::ZeroDuration();
    out.push_back(
        {absl::StrCat("certificate ", certificate.where, " ", certificate.secret),
         expired ? "CertificateExpired" : "CertificateExpiring",
         expired
             ? absl::StrCat(certificate.where, ": the certificate in Secret ", certificate.secret,
                            " expired at ", until, "; clients refuse it until it is renewed")
             : absl::StrCat(certificate.where, ": the certificate in Secret ", certificate.secret,
                            " expires at ", until, ", in ", TimeLeft(left), "; renew it")});
  }
  // The migration report: annotations an ingress-nginx user set that do nothing here.
  std::vector<std::string> unhonoured;
  for (const translate::AnnotationStatus& status : report.annotations) {
    if (status.honoured()) continue;
    if (unhonoured.size() == kMaxAnnotationsInEvent) {
      unhonoured.push_back(absl::StrCat("and ", report.NotHonoured() - kMaxAnnotationsInEvent,
                                        " more (gatehousectl ingresses ", report.Key(), ")"));
      break;
    }
    unhonoured.push_back(
        absl::StrCat(status.key, " ", translate::OutcomeName(status.outcome), ": ", status.reason));
  }
  if (!unhonoured.empty()) {
    out.push_back({"annotations", "AnnotationsNotApplied",
                   absl::StrCat(report.NotHonoured(), " annotation",
                                report.NotHonoured() == 1 ? " is" : "s are",
                                " not applied: ", absl::StrJoin(unhonoured, "; "))});
  }
  return out;
}

}  // namespace

void StatusWriter::WriteEvents(const std::vector<IngressReport>& reports) {
  std::map<std::string, std::string> still;
  const absl::Time now = absl::Now();
  for (const IngressReport& report : reports) {
    for (const EventToSay& say : EventsFor(report, now)) {
      std::string identity = absl::StrCat(Identity(report), " ", say.key);
      std::string said = absl::StrCat(say.reason, ": ", say.message);
      still.emplace(identity, said);
      if (auto it = written_event_.find(identity);
          it != written_event_.end() && it->second == said) {
        continue;
      }
      if (!PostEvent(report, say.reason, say.message)) still.erase(identity);  // next round
    }
  }
  written_event_ = std::move(still);
}

bool StatusWriter::PostEvent(const IngressReport& report, const std::string& reason,
                             const std::string& message) {
  absl::Time now = absl::Now();
  kube_api::Event event;
  event.set_api_version("v1");
  event.set_kind("Event");
  event.mutable_metadata()->set_name(
      absl::StrFormat("%s.%x", report.name, absl::Uniform<uint64_t>(random_)));
  event.mutable_metadata()->set_namespace_(report.ns);
  kube_api::ObjectReference& object = *event.mutable_involved_object();
  object.set_api_version("networking.k8s.io/v1");
  object.set_kind("Ingress");
  object.set_namespace_(report.ns);
  object.set_name(report.name);
  object.set_uid(report.uid);
  event.set_reason(reason);
  event.set_message(message);
  event.set_type("Warning");
  event.mutable_source()->set_component("gatehouse-controlplane");
  std::string timestamp = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  event.set_first_timestamp(timestamp);
  event.set_last_timestamp(timestamp);
  event.set_count(1);
  event.set_reporting_component("gatehouse.dev/controlplane");
  event.set_reporting_instance(options_.identity);
  absl::StatusOr<kube::KubeClient::Response> posted = client_->Request(
      "POST", absl::StrCat("/api/v1/namespaces/", report.ns, "/events"), ToJson(event));
  if (posted.ok() && (posted->status == 201 || posted->status == 200)) return true;
  LOG_WARNING(
      "ingress ", report.Key(), ": cannot record an Event: ",
      posted.ok() ? absl::StrCat("HTTP ", posted->status) : std::string(posted.status().message()));
  return false;
}

}  // namespace gatehouse::controlplane::status
