#include "common/http_syntax.h"

namespace gatehouse {

bool IsFieldValue(absl::string_view value) {
  for (char c : value) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 ? byte != '\t' : byte == 0x7f) return false;
  }
  return value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                           value.back() != '\t');
}

}  // namespace gatehouse
