// Fuzz target: a client's bytes into the HTTP/1.1 server codec (llhttp underneath), delivered
// in pieces as a socket would, with pipelined requests handed over again as each response ends.
// Every request is answered (fuzz_input.h); the connection closes when the codec says so.
#include <string>

#include "dataplane/http/http1_server_codec.h"
#include "tests/fuzz/fuzz_input.h"

using gatehouse::dataplane::http::Http1ServerCodec;
using gatehouse::fuzz::ServerConnection;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gatehouse::fuzz::FuzzInput input(data, size);
  ServerConnection connection(input.mode);
  connection.blocked = (input.mode & 8) != 0;
  {
    Http1ServerCodec codec(&connection);
    std::string pending;
    for (absl::string_view piece = input.Next(); !piece.empty() && !connection.closed;
         piece = input.Next()) {
      pending.append(piece.data(), piece.size());
      pending.erase(0, codec.Dispatch(pending));
    }
    // Pipelined requests left behind a response: handed over again, as the connection does.
    for (int i = 0; i < 64 && !pending.empty() && !connection.closed; ++i) {
      size_t used = codec.Dispatch(pending);
      if (used == 0) break;
      pending.erase(0, used);
    }
    if (!connection.closed) codec.OnRemoteClose("");
  }
  return 0;
}
