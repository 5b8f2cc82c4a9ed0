// Fuzz target: a client's first bytes into ParseClientHello, whole and as each prefix a read
// could have delivered; a verdict on a prefix never contradicts the whole (a prefix that is not
// TLS stays not TLS, and a complete ClientHello names the same host with bytes after it).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "dataplane/tls/client_hello.h"

using gatehouse::dataplane::tls::ClientHello;
using gatehouse::dataplane::tls::ParseClientHello;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  ClientHello whole = ParseClientHello(bytes);
  for (size_t cut : {size / 3, size / 2, size - size / 4}) {
    ClientHello prefix = ParseClientHello(bytes.substr(0, cut));
    if (prefix.state == ClientHello::State::kNotTls && whole.state != ClientHello::State::kNotTls) {
      abort();  // more bytes cannot make a refused prefix acceptable
    }
    if (prefix.state == ClientHello::State::kComplete &&
        (whole.state != ClientHello::State::kComplete || whole.server_name != prefix.server_name)) {
      abort();
    }
  }
  return 0;
}
