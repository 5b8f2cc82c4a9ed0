// Fuzz target: a connection's first bytes into ParseProxyHeader, whole and as prefixes a read
// could have delivered; a verdict on a prefix never contradicts the whole (a refused prefix
// stays refused, a complete header is the same header with more bytes after it), and a
// complete header never claims more bytes than were given.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "dataplane/transport/proxy_protocol.h"

using gatehouse::dataplane::transport::ParseProxyHeader;
using gatehouse::dataplane::transport::ProxyHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  ProxyHeader whole = ParseProxyHeader(bytes);
  if (whole.state == ProxyHeader::State::kComplete && whole.length > size) abort();
  if (whole.state == ProxyHeader::State::kNeedMore && whole.needed <= size) abort();
  for (size_t cut : {size / 3, size / 2, size - size / 4}) {
    ProxyHeader prefix = ParseProxyHeader(bytes.substr(0, cut));
    if (prefix.state == ProxyHeader::State::kInvalid &&
        whole.state != ProxyHeader::State::kInvalid) {
      abort();
    }
    if (prefix.state == ProxyHeader::State::kComplete &&
        (whole.state != ProxyHeader::State::kComplete || whole.length != prefix.length ||
         whole.source != prefix.source || whole.source_port != prefix.source_port)) {
      abort();
    }
  }
  return 0;
}
