// Fuzz target: frames from a client into the HTTP/2 server codec (nghttp2 underneath), after the
// connection preface, in pieces. Every stream's request is answered (fuzz_input.h), with bodies
// large enough to wait on the client's windows; the codec's limits (header sizes, CONTINUATION
// and reset floods) and its own checks of what nghttp2 lets through all run.
#include <string>

#include "dataplane/http/http2_server_codec.h"
#include "tests/fuzz/fuzz_input.h"

using gatehouse::dataplane::http::Http2ServerCodec;
using gatehouse::fuzz::ServerConnection;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gatehouse::fuzz::FuzzInput input(data, size);
  ServerConnection connection(input.mode);
  {
    Http2ServerCodec codec(&connection);
    codec.Dispatch(Http2ServerCodec::kConnectionPreface);
    bool toggle = false;
    for (absl::string_view piece = input.Next(); !piece.empty() && !connection.closed;
         piece = input.Next()) {
      codec.Dispatch(piece);
      if ((input.mode & 8) != 0) {
        // A socket that fills and drains between reads.
        toggle = !toggle;
        connection.blocked = toggle;
        if (!toggle) codec.OnWritable();
      }
    }
    if (!connection.closed) codec.OnRemoteClose("");
  }
  return 0;
}
