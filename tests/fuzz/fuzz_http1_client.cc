// Fuzz target: an upstream's bytes into the HTTP/1.1 client codec, in pieces, after a request
// (GET, HEAD, or POST with a body still being sent; an Upgrade request). A complete response on
// a reusable connection is followed by the next request, as the pool would send it.
#include <string>

#include "dataplane/http/http1_client_codec.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace gatehouse::dataplane::http;  // NOLINT: a fuzz target of this namespace alone

class Upstream : public Http1ClientCodec::Callbacks {
 public:
  void Write(std::string data) override { written_ += data.size(); }
  bool WriteBlocked() const override { return false; }
  void PauseReading(bool paused) override {}

 private:
  size_t written_ = 0;
};

class Exchange : public ResponseDecoder {
 public:
  void DecodeResponseHeaders(ResponseHead head, bool end_stream) override { ended = end_stream; }
  void DecodeResponseData(absl::string_view data, bool end_stream) override { ended = end_stream; }
  void DecodeResponseTrailers(HeaderMap trailers) override { ended = true; }
  void OnUpstreamWritable() override {}
  void OnUpstreamReset(absl::string_view reason) override { reset = true; }
  bool ended = false;
  bool reset = false;
};

RequestHead Request(uint8_t mode) {
  RequestHead head;
  head.authority = "a.test";
  head.target = "/x?y=1";
  switch (mode & 3) {
    case 0:
      head.method = "GET";
      break;
    case 1:
      head.method = "HEAD";
      break;
    case 2:
      head.method = "POST";
      head.framing = BodyFraming::kChunked;
      break;
    default:
      head.method = "GET";
      head.upgrade = "websocket";
      break;
  }
  return head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gatehouse::fuzz::FuzzInput input(data, size);
  Upstream upstream;
  Http1ClientCodec codec(&upstream);
  auto exchange = std::make_unique<Exchange>();
  codec.SetDecoder(exchange.get());
  RequestHead head = Request(input.mode);
  bool body = head.framing == BodyFraming::kChunked;
  codec.EncodeHeaders(head, !body);
  if (body && (input.mode & 4) != 0) codec.EncodeData("abc", true);
  std::string pending;
  for (absl::string_view piece = input.Next(); !piece.empty(); piece = input.Next()) {
    pending.append(piece.data(), piece.size());
    pending.erase(0, codec.Dispatch(pending));
    if (exchange->reset) break;
    if (exchange->ended && codec.reusable()) {
      // The pool hands the connection to the next request.
      exchange = std::make_unique<Exchange>();
      codec.SetDecoder(exchange.get());
      codec.EncodeHeaders(Request(0), true);
      pending.erase(0, codec.Dispatch(pending));
    }
  }
  if (!exchange->reset) codec.OnRemoteClose("");
  codec.SetDecoder(nullptr);
  return 0;
}
