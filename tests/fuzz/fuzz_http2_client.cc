// Fuzz target: frames from an upstream into the HTTP/2 client codec, in pieces, while three
// exchanges are open (a GET, a POST whose body waits on the upstream's window, a gRPC call with
// trailers); one is released midway, as a proxy stream whose client went away.
#include <memory>
#include <string>

#include "dataplane/http/http2_client_codec.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace gatehouse::dataplane::http;  // NOLINT: a fuzz target of this namespace alone

class Upstream : public Http2ClientCodec::Callbacks {
 public:
  void Write(std::string data) override { written_ += data.size(); }
  bool WriteBlocked() const override { return false; }

 private:
  size_t written_ = 0;
};

class Exchange : public ResponseDecoder {
 public:
  void DecodeResponseHeaders(ResponseHead head, bool end_stream) override {}
  void DecodeResponseData(absl::string_view data, bool end_stream) override {}
  void DecodeResponseTrailers(HeaderMap trailers) override {}
  void OnUpstreamWritable() override {}
  void OnUpstreamReset(absl::string_view reason) override {}
};

RequestHead Head(const char* method, const char* target) {
  RequestHead head;
  head.method = method;
  head.target = target;
  head.authority = "a.test";
  head.version_major = 2;
  head.version_minor = 0;
  return head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gatehouse::fuzz::FuzzInput input(data, size);
  Upstream upstream;
  Exchange get, post, grpc;
  Http2ClientCodec codec(&upstream, (input.mode & 1) != 0);
  RequestEncoder* first = codec.NewStream(&get);
  first->EncodeHeaders(Head("GET", "/"), true);
  RequestEncoder* second = codec.NewStream(&post);
  RequestHead upload = Head("POST", "/upload");
  upload.framing = BodyFraming::kContentLength;
  upload.content_length = 80 * 1024;
  second->EncodeHeaders(upload, false);
  second->EncodeData(std::string(80 * 1024, 'u'), true);
  RequestEncoder* third = codec.NewStream(&grpc);
  RequestHead call = Head("POST", "/pkg.Service/Method");
  call.headers.Add("content-type", "application/grpc");
  call.headers.Add("te", "trailers");
  third->EncodeHeaders(call, false);
  third->EncodeData(std::string(5, '\0'), false);
  HeaderMap trailers;
  trailers.Add("x-end", "1");
  third->EncodeTrailers(trailers);
  int pieces = 0;
  for (absl::string_view piece = input.Next(); !piece.empty(); piece = input.Next()) {
    codec.Dispatch(piece);
    if (++pieces == 4 && (input.mode & 2) != 0) {
      codec.ReleaseStream(second);
      second = nullptr;
    }
    if ((input.mode & 4) != 0) codec.OnWritable();
  }
  codec.OnRemoteClose("");
  codec.ReleaseStream(first);
  if (second != nullptr) codec.ReleaseStream(second);
  codec.ReleaseStream(third);
  return 0;
}
