// What the translation made of one Ingress, as plain C++: the status writer, the logs and the
// admin service read it, and only the admin service turns it into its API's message.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gatehouse::controlplane::translate {

// A certificate an Ingress's spec.tls entry serves, and when it stops being valid.
struct CertificateExpiry {
  std::string where;   // "tls[0]"
  std::string secret;  // "ns/name"
  absl::Time not_after;

  bool operator==(const CertificateExpiry& other) const {
    return where == other.where && secret == other.secret && not_after == other.not_after;
  }
};

// Certificates expiring within this are warned of (a Warning Event on the Ingress).
inline constexpr absl::Duration kCertificateExpiryWarning = absl::Hours(24 * 14);

// What the translation did with one annotation of an Ingress (the migration report).
struct AnnotationStatus {
  enum class Outcome {
    kApplied,    // read with ingress-nginx's meaning
    kDiffers,    // read, with a documented difference; `reason` says which
    kNotNeeded,  // nothing to do: Gatehouse behaves so anyway
    kIgnored,    // not supported here, or not this Ingress's to set; `reason` says why
    kRefused,    // its value could not be used, or it is raw nginx configuration
  };
  std::string key;  // as written: "nginx.ingress.kubernetes.io/rewrite-target"
  Outcome outcome = Outcome::kApplied;
  std::string reason;

  bool operator==(const AnnotationStatus& other) const {
    return key == other.key && outcome == other.outcome && reason == other.reason;
  }
  // Whether the Ingress behaves for it as under ingress-nginx: applied (perhaps with a
  // documented difference) or not needed.
  bool honoured() const {
    return outcome == Outcome::kApplied || outcome == Outcome::kDiffers ||
           outcome == Outcome::kNotNeeded;
  }
};

// "applied", "differs", "not needed", "ignored" or "refused".
absl::string_view OutcomeName(AnnotationStatus::Outcome outcome);

struct IngressReport {
  enum class State {
    kAccepted,        // every rule is served
    kPartlyAccepted,  // some of it is served; `reasons` say what is not
    kRejected,        // nothing of it is served; `reasons` say why
    kIgnored,         // not this controller's (its class), `reasons[0]` says why
  };

  std::string ns;
  std::string name;
  std::string uid;  // metadata.uid, when the source has one
  State state = State::kIgnored;
  std::vector<std::string> reasons;
  std::vector<CertificateExpiry> certificates;  // the certificates its spec.tls serves
  // Each annotation under gatehouse.dev/ or nginx.ingress.kubernetes.io/, sorted by key.
  std::vector<AnnotationStatus> annotations;
  // Where Gatehouse matches a request of this Ingress otherwise than ingress-nginx would.
  std::vector<std::string> differences;

  bool operator==(const IngressReport& other) const {
    return ns == other.ns && name == other.name && uid == other.uid && state == other.state &&
           reasons == other.reasons && certificates == other.certificates &&
           annotations == other.annotations && differences == other.differences;
  }
  // Annotations that are not honoured (ignored or refused).
  size_t NotHonoured() const {
    size_t count = 0;
    for (const AnnotationStatus& status : annotations) count += status.honoured() ? 0 : 1;
    return count;
  }
  // "ns/name".
  std::string Key() const { return ns + "/" + name; }
  // Served at least in part.
  bool served() const { return state == State::kAccepted || state == State::kPartlyAccepted; }
};

// "ACCEPTED", "PARTLY_ACCEPTED", "REJECTED" or "IGNORED", as the admin API and logs say it.
absl::string_view StateName(IngressReport::State state);

}  // namespace gatehouse::controlplane::translate
