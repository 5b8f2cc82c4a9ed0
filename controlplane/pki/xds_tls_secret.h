// The config stream's certificates kept in one Secret (--xds-tls-secret=NS/NAME), so every
// control-plane replica serves the same ones and the data planes mount theirs from it.
//
// At start the control plane reads the Secret; when there is none it makes the certificates
// (MakeXdsCertificates) and creates it. Two replicas starting together both try; the API server
// lets one create win (409 for the other), and the other reads what the winner wrote. The
// Secret's keys: ca.crt, tls.crt and tls.key (the control plane's), client.crt and client.key
// (the data planes'; their pods mount only those and ca.crt). To rotate, delete the Secret and
// restart the control plane, then the data planes.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/grpc_tls.h"
#include "controlplane/kube/kube_client.h"
#include "controlplane/objects/kube_objects.h"

namespace gatehouse::controlplane::pki {

struct XdsTlsSecretOptions {
  objects::NamespacedName secret;
  std::vector<std::string> server_names;  // the server certificate's DNS names, when made here
  absl::Duration validity = absl::Hours(24 * 365 * 5);
  // How long to keep trying while the API server cannot be reached or answers 5xx/429.
  absl::Duration deadline = absl::Seconds(60);
};

// The control plane's certificate, key and CA from the Secret, made and stored first when it
// does not exist. An error says what the API server answered, or which key the Secret lacks.
absl::StatusOr<TlsPems> GetOrCreateXdsTlsSecret(kube::KubeClient& client,
                                                const XdsTlsSecretOptions& options,
                                                const absl::Notification* stop = nullptr);

}  // namespace gatehouse::controlplane::pki
