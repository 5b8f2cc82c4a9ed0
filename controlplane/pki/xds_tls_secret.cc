#include "controlplane/pki/xds_tls_secret.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "controlplane/pki/xds_certificates.h"
#include "gatehouse/v1/kube.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gatehouse::controlplane::pki {
namespace {

using v1::kube::Secret;

constexpr const char* kKeys[] = {"ca.crt", "tls.crt", "tls.key", "client.crt", "client.key"};

std::string SecretsPath(const objects::NamespacedName& name) {
  return absl::StrCat("/api/v1/namespaces/", name.ns, "/secrets");
}

// The API server's own words for a refusal, cut short.
std::string Answer(const kube::KubeClient::Response& response) {
  return absl::StrCat("HTTP ", response.status, ": ",
                      QuoteForMessage(response.body.substr(0, 512)));
}

absl::StatusOr<TlsPems> FromSecret(const std::string& json, const objects::NamespacedName& name) {
  Secret secret;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &secret, options).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Secret ", name.ToString(), " is not a Secret the API server would send"));
  }
  for (const char* key : kKeys) {
    if (secret.data().count(key) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("Secret ", name.ToString(), " has no ", key,
                       " (delete it to have the control plane make a new one)"));
    }
  }
  return TlsPems{secret.data().at("tls.crt"), secret.data().at("tls.key"),
                 secret.data().at("ca.crt")};
}

std::string NewSecretJson(const objects::NamespacedName& name, const XdsCertificates& made) {
  Secret secret;
  secret.set_api_version("v1");
  secret.set_kind("Secret");
  secret.mutable_metadata()->set_name(name.name);
  secret.mutable_metadata()->set_namespace_(name.ns);
  (*secret.mutable_metadata()->mutable_labels())["app.kubernetes.io/part-of"] = "gatehouse";
  secret.set_type("Opaque");
  auto& data = *secret.mutable_data();
  data["ca.crt"] = made.ca_cert;
  data["tls.crt"] = made.server_cert;
  data["tls.key"] = made.server_key;
  data["client.crt"] = made.client_cert;
  data["client.key"] = made.client_key;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(secret, &json);
  return json;
}

// A failure worth another try: no answer, the API server busy or failing.
bool Transient(const absl::StatusOr<kube::KubeClient::Response>& response) {
  return !response.ok() || response->status == 429 || response->status >= 500;
}

}  // namespace

absl::StatusOr<TlsPems> GetOrCreateXdsTlsSecret(kube::KubeClient& client,
                                                const XdsTlsSecretOptions& options,
                                                const absl::Notification* stop) {
  const objects::NamespacedName& name = options.secret;
  const std::string path = absl::StrCat(SecretsPath(name), "/", name.name);
  const absl::Time deadline = absl::Now() + options.deadline;
  std::string last_failure;
  for (absl::Duration backoff = absl::Milliseconds(250);;
       backoff = std::min(backoff * 2, absl::Seconds(5))) {
    if (absl::Now() >= deadline || (stop != nullptr && stop->HasBeenNotified())) {
      return absl::UnavailableError(
          absl::StrCat("cannot read or create Secret ", name.ToString(), ": ", last_failure));
    }
    absl::StatusOr<kube::KubeClient::Response> got =
        client.Request("GET", path, {}, "application/json", stop, absl::Seconds(10));
    if (got.ok() && got->status == 200) return FromSecret(got->body, name);
    if (got.ok() && got->status == 404) {
      absl::StatusOr<XdsCertificates> made =
          MakeXdsCertificates(options.server_names, options.validity);
      if (!made.ok()) return made.status();
      absl::StatusOr<kube::KubeClient::Response> created =
          client.Request("POST", SecretsPath(name), NewSecretJson(name, *made), "application/json",
                         stop, absl::Seconds(10));
      if (created.ok() && (created->status == 201 || created->status == 200)) {
        LOG_INFO("made the config stream's certificates into Secret ", name.ToString());
        return TlsPems{made->server_cert, made->server_key, made->ca_cert};
      }
      if (created.ok() && created->status == 409) continue;  // another replica's won: read it
      if (!Transient(created)) {
        return absl::PermissionDeniedError(
            absl::StrCat("cannot create Secret ", name.ToString(), ": ", Answer(*created)));
      }
      last_failure = created.ok() ? Answer(*created) : std::string(created.status().message());
    } else if (!Transient(got)) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot read Secret ", name.ToString(), ": ", Answer(*got)));
    } else {
      last_failure = got.ok() ? Answer(*got) : std::string(got.status().message());
    }
    LOG_WARNING("config stream certificates: ", last_failure, "; trying again");
    if (stop != nullptr) {
      stop->WaitForNotificationWithTimeout(backoff);
    } else {
      absl::SleepFor(backoff);
    }
  }
}

}  // namespace gatehouse::controlplane::pki
