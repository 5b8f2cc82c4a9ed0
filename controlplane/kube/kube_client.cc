#include "controlplane/kube/kube_client.h"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controlplane/kube/yaml_json.h"
#include "gatehouse/v1/kube.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gatehouse::controlplane::kube {
namespace {

constexpr absl::string_view kServiceAccount = "/var/run/secrets/kubernetes.io/serviceaccount";
constexpr absl::Duration kTokenMaxAge = absl::Minutes(1);
constexpr long kConnectTimeoutMs = 10000;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Resolve(const std::string& folder, const std::string& file) {
  if (file.empty() || file.front() == '/') return file;
  return absl::StrCat(folder, "/", file);
}

// One libcurl transfer and what it gathers.
struct Transfer {
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  long status = 0;
  std::string body;
  absl::Duration retry_after = absl::ZeroDuration();
  const std::function<void(absl::string_view)>* on_value = nullptr;  // streaming
  JsonValueSplitter splitter;
  const absl::Notification* stop = nullptr;

  ~Transfer() {
    curl_slist_free_all(headers);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    size_t bytes = size * count;
    if (self->status == 0) curl_easy_getinfo(self->curl, CURLINFO_RESPONSE_CODE, &self->status);
    if (self->on_value != nullptr && self->status == 200) {
      self->splitter.Feed(absl::string_view(data, bytes), *self->on_value);
    } else {
      self->body.append(data, bytes);
    }
    return bytes;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    absl::string_view line(data, size * count);
    if (absl::StartsWithIgnoreCase(line, "retry-after:")) {
      int seconds = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(12)), &seconds)) {
        self->retry_after = absl::Seconds(seconds);
      }
    }
    return size * count;
  }

  static int OnProgress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Transfer*>(self_ptr);
    return self->stop != nullptr && self->stop->HasBeenNotified() ? 1 : 0;
  }
};

}  // namespace

absl::StatusOr<KubeConnection> LoadKubeconfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<std::string>> documents = kube::YamlDocumentsToJson(*text);
  if (!documents.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not valid YAML: ", documents.status().message()));
  }
  if (documents->empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty"));
  gatehouse::v1::kube::Kubeconfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (auto status = google::protobuf::util::JsonStringToMessage((*documents)[0], &config, options);
      !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message().as_string()));
  }
  if (config.current_context().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no current-context"));
  }
  const gatehouse::v1::kube::KubeconfigContext* context = nullptr;
  for (const auto& named : config.contexts()) {
    if (named.name() == config.current_context()) context = &named.context();
  }
  if (context == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": context \"", config.current_context(), "\" is not defined"));
  }
  const gatehouse::v1::kube::KubeconfigCluster* cluster = nullptr;
  for (const auto& named : config.clusters()) {
    if (named.name() == context->cluster()) cluster = &named.cluster();
  }
  if (cluster == nullptr || cluster->server().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cluster \"", context->cluster(),
                                                   "\" is not defined or has no server"));
  }
  std::string folder = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  KubeConnection connection;
  connection.server = cluster->server();
  while (absl::EndsWith(connection.server, "/")) connection.server.pop_back();
  connection.ca_file = Resolve(folder, cluster->certificate_authority());
  connection.ca_data = cluster->certificate_authority_data();
  connection.insecure_skip_tls_verify = cluster->insecure_skip_tls_verify();
  for (const auto& named : config.users()) {
    if (named.name() != context->user()) continue;
    const gatehouse::v1::kube::KubeconfigUser& user = named.user();
    connection.token = user.token();
    connection.token_file = Resolve(folder, user.token_file());
    connection.client_certificate_file = Resolve(folder, user.client_certificate());
    connection.client_key_file = Resolve(folder, user.client_key());
    connection.client_certificate_data = user.client_certificate_data();
    connection.client_key_data = user.client_key_data();
  }
  return connection;
}

absl::StatusOr<KubeConnection> InClusterConnection() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return absl::FailedPreconditionError(
        "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT are unset); give --kubeconfig");
  }
  KubeConnection connection;
  bool ipv6 = absl::string_view(host).find(':') != absl::string_view::npos;
  connection.server = absl::StrCat("https://", ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port);
  connection.token_file = absl::StrCat(kServiceAccount, "/token");
  connection.ca_file = absl::StrCat(kServiceAccount, "/ca.crt");
  return connection;
}

void JsonValueSplitter::Feed(absl::string_view data,
                             const std::function<void(absl::string_view)>& on_value) {
  for (char c : data) {
    if (depth_ == 0 && pending_.empty() && c != '{' && c != '[') continue;  // between values
    pending_ += c;
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if ((c == '}' || c == ']') && --depth_ == 0) {
      on_value(pending_);
      pending_.clear();
    }
  }
}

KubeClient::KubeClient(KubeConnection connection) : connection_(std::move(connection)) {}

std::string KubeClient::Token() {
  if (connection_.token_file.empty()) return connection_.token;
  absl::MutexLock lock(&mutex_);
  if (absl::Now() - token_read_ >= kTokenMaxAge) {
    absl::StatusOr<std::string> text = ReadFile(connection_.token_file);
    if (text.ok()) token_ = std::string(absl::StripAsciiWhitespace(*text));
    token_read_ = absl::Now();
  }
  return token_;
}

void KubeClient::TokenRejected() {
  absl::MutexLock lock(&mutex_);
  token_read_ = absl::InfinitePast();
}

namespace {

// A transfer to `url` set up with the connection's TLS and credentials.
std::unique_ptr<Transfer> Prepare(const KubeConnection& connection, const std::string& url,
                                  const std::string& token) {
  auto transfer = std::make_unique<Transfer>();
  CURL* curl = curl_easy_init();
  transfer->curl = curl;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 10L);
  if (connection.insecure_skip_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!connection.ca_data.empty()) {
    curl_blob blob{const_cast<char*>(connection.ca_data.data()), connection.ca_data.size(),
                   CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  } else if (!connection.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, connection.ca_file.c_str());
  }
  if (!connection.client_certificate_data.empty()) {
    curl_blob cert{const_cast<char*>(connection.client_certificate_data.data()),
                   connection.client_certificate_data.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!connection.client_certificate_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, connection.client_certificate_file.c_str());
  }
  if (!connection.client_key_data.empty()) {
    curl_blob key{const_cast<char*>(connection.client_key_data.data()),
                  connection.client_key_data.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!connection.client_key_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, connection.client_key_file.c_str());
  }
  transfer->headers = curl_slist_append(transfer->headers, "Accept: application/json");
  if (!token.empty()) {
    transfer->headers =
        curl_slist_append(transfer->headers, absl::StrCat("Authorization: Bearer ", token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, transfer.get());
  return transfer;
}

absl::StatusOr<KubeClient::Response> Perform(Transfer& transfer) {
  curl_easy_setopt(transfer.curl, CURLOPT_HTTPHEADER, transfer.headers);
  CURLcode code = curl_easy_perform(transfer.curl);
  if (code == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError("stopped");
  // A watch that reached its own time limit ended as a clean close would.
  bool timed_out_stream =
      code == CURLE_OPERATION_TIMEDOUT && transfer.on_value != nullptr && transfer.status == 200;
  if (code != CURLE_OK && !timed_out_stream) {
    return absl::UnavailableError(curl_easy_strerror(code));
  }
  if (transfer.status == 0)
    curl_easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &transfer.status);
  KubeClient::Response response;
  response.status = transfer.status;
  response.body = std::move(transfer.body);
  response.retry_after = transfer.retry_after;
  return response;
}

}  // namespace

absl::StatusOr<KubeClient::Response> KubeClient::Request(
    absl::string_view method, const std::string& path, absl::string_view body,
    absl::string_view content_type, const absl::Notification* stop, absl::Duration timeout) {
  std::unique_ptr<Transfer> transfer =
      Prepare(connection_, absl::StrCat(connection_.server, path), Token());
  CURL* curl = transfer->curl;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  if (stop != nullptr) {
    transfer->stop = stop;
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, transfer.get());
  }
  std::string method_text(method);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    transfer->headers =
        curl_slist_append(transfer->headers, absl::StrCat("Content-Type: ", content_type).c_str());
  }
  absl::StatusOr<Response> response = Perform(*transfer);
  if (response.ok() && response->status == 401) TokenRejected();
  return response;
}

absl::StatusOr<KubeClient::Response> KubeClient::Stream(
    const std::string& path, const std::function<void(absl::string_view)>& on_value,
    const absl::Notification& stop, absl::Duration max_duration) {
  std::unique_ptr<Transfer> transfer =
      Prepare(connection_, absl::StrCat(connection_.server, path), Token());
  CURL* curl = transfer->curl;
  transfer->on_value = &on_value;
  transfer->stop = &stop;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(max_duration)));
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, transfer.get());
  absl::StatusOr<Response> response = Perform(*transfer);
  if (response.ok() && response->status == 401) TokenRejected();
  return response;
}

}  // namespace gatehouse::controlplane::kube
