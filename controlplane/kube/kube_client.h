// Talking to the Kubernetes API server over HTTPS with libcurl: where it is and how to
// authenticate (a kubeconfig file, or the pod's service account), plain requests, and watch
// streams cut into their JSON values.
#pragma once

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace gatehouse::controlplane::kube {

// Where the API server is and who we are to it.
struct KubeConnection {
  std::string server;  // "https://host:port", no trailing slash
  std::string ca_file;
  std::string ca_data;  // PEM, instead of ca_file
  bool insecure_skip_tls_verify = false;
  std::string token;       // a fixed bearer token, or
  std::string token_file;  // a file holding it, read again at least every minute and after a 401
  std::string client_certificate_file;
  std::string client_key_file;
  std::string client_certificate_data;  // PEM, instead of the files
  std::string client_key_data;
};

// The current context of the kubeconfig file at `path`; relative file names in it are relative
// to the file's folder.
absl::StatusOr<KubeConnection> LoadKubeconfig(const std::string& path);

// The pod's own: KUBERNETES_SERVICE_HOST/PORT, and the service account's token and CA under
// /var/run/secrets/kubernetes.io/serviceaccount.
absl::StatusOr<KubeConnection> InClusterConnection();

// Cuts a byte stream into complete JSON values (objects or arrays at the top level), wherever
// the chunks happen to split them; whitespace between values is skipped.
class JsonValueSplitter {
 public:
  // Feeds `data`; calls `on_value` with each value it completes.
  void Feed(absl::string_view data, const std::function<void(absl::string_view)>& on_value);

 private:
  std::string pending_;  // the bytes of the value in progress
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

class KubeClient {
 public:
  struct Response {
    long status = 0;
    std::string body;
    absl::Duration retry_after = absl::ZeroDuration();  // from a Retry-After header
  };

  explicit KubeClient(KubeConnection connection);

  // A request (GET, PUT, PATCH with `content_type`...) to `path` ("/api/v1/..."); an error
  // status is a Response too, only a failure to get any answer is an error.
  // A notified `stop` abandons the request at once.
  absl::StatusOr<Response> Request(absl::string_view method, const std::string& path,
                                   absl::string_view body = {},
                                   absl::string_view content_type = "application/json",
                                   const absl::Notification* stop = nullptr,
                                   absl::Duration timeout = absl::Seconds(60));

  // A streaming GET: calls `on_value` with each JSON value of a 200 answer as it arrives, until
  // the server ends the stream, `stop` is notified, or `max_duration` passes. Returns the
  // status with, for other statuses, the body.
  absl::StatusOr<Response> Stream(const std::string& path,
                                  const std::function<void(absl::string_view)>& on_value,
                                  const absl::Notification& stop, absl::Duration max_duration);

 private:
  // The bearer token to send, or "" for none.
  std::string Token();
  // A 401: the token is read again before the next request.
  void TokenRejected();

  const KubeConnection connection_;
  absl::Mutex mutex_;
  std::string token_ ABSL_GUARDED_BY(mutex_);
  absl::Time token_read_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace gatehouse::controlplane::kube
