#include "controlplane/translate/options.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::controlplane::translate {

bool IsDnsLabel(absl::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return false;
  }
  return text.front() != '-' && text.back() != '-';
}

std::string BackendRef::ToString() const {
  return absl::StrCat(ns, "/", service, ":",
                      port_name.empty() ? absl::StrCat(port_number) : port_name);
}

absl::StatusOr<BackendRef> ParseBackendRef(absl::string_view text) {
  size_t slash = text.find('/');
  size_t colon = text.rfind(':');
  if (slash == absl::string_view::npos || colon == absl::string_view::npos || colon < slash) {
    return absl::InvalidArgumentError("want NAMESPACE/SERVICE:PORT");
  }
  BackendRef ref;
  ref.ns = std::string(text.substr(0, slash));
  ref.service = std::string(text.substr(slash + 1, colon - slash - 1));
  absl::string_view port = text.substr(colon + 1);
  if (!IsDnsLabel(ref.ns)) {
    return absl::InvalidArgumentError(absl::StrCat("bad namespace \"", ref.ns, "\""));
  }
  if (!IsDnsLabel(ref.service)) {
    return absl::InvalidArgumentError(absl::StrCat("bad service name \"", ref.service, "\""));
  }
  if (!port.empty() && absl::ascii_isdigit(port.front())) {
    if (!absl::SimpleAtoi(port, &ref.port_number) || ref.port_number < 1 ||
        ref.port_number > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port \"", port, "\""));
    }
  } else if (IsDnsLabel(port)) {
    ref.port_name = std::string(port);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port \"", port, "\" (want a number or a port name)"));
  }
  return ref;
}

}  // namespace gatehouse::controlplane::translate
