#include "controlplane/translate/report.h"

namespace gatehouse::controlplane::translate {

absl::string_view StateName(IngressReport::State state) {
  switch (state) {
    case IngressReport::State::kAccepted:
      return "ACCEPTED";
    case IngressReport::State::kPartlyAccepted:
      return "PARTLY_ACCEPTED";
    case IngressReport::State::kRejected:
      return "REJECTED";
    case IngressReport::State::kIgnored:
      return "IGNORED";
  }
  return "UNKNOWN";
}

}  // namespace gatehouse::controlplane::translate
