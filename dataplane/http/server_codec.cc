#include "dataplane/http/server_codec.h"

#include <algorithm>

#include "dataplane/http/http1_server_codec.h"
#include "dataplane/http/http2_server_codec.h"

namespace gatehouse::dataplane::http {

ServerProtocol DetectCleartextProtocol(absl::string_view input) {
  absl::string_view preface = Http2ServerCodec::kConnectionPreface;
  size_t n = std::min(input.size(), preface.size());
  if (n == 0) return ServerProtocol::kUnknownYet;
  if (input.substr(0, n) != preface.substr(0, n)) return ServerProtocol::kHttp1;
  return n < preface.size() ? ServerProtocol::kUnknownYet : ServerProtocol::kHttp2;
}

ServerProtocol ProtocolFromAlpn(absl::string_view alpn) {
  return alpn == "h2" ? ServerProtocol::kHttp2 : ServerProtocol::kHttp1;
}

std::unique_ptr<ServerCodec> NewServerCodec(ServerProtocol protocol,
                                            ServerCodec::Callbacks* callbacks) {
  if (protocol == ServerProtocol::kHttp2) return std::make_unique<Http2ServerCodec>(callbacks);
  return std::make_unique<Http1ServerCodec>(callbacks);
}

}  // namespace gatehouse::dataplane::http
