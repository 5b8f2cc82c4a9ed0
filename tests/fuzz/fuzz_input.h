// What the fuzz targets share: how an input is cut into the pieces a socket would deliver, and
// decoders that answer as the proxy may.
//
// An input's first byte is its settings: the low four bits pick the target's behaviour, the
// high four the size of the pieces the rest is delivered in. So a seed is that byte followed by
// the bytes of the wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/http/server_codec.h"
#include "dataplane/http/stream.h"

namespace gatehouse::fuzz {

struct FuzzInput {
  FuzzInput(const uint8_t* data, size_t size) {
    if (size == 0) return;
    static constexpr size_t kPieceSizes[16] = {1,  2,   3,   5,   7,    11,   16,    31,
                                               64, 127, 256, 512, 1024, 4096, 16384, 65536};
    mode = data[0] & 0x0f;
    piece = kPieceSizes[data[0] >> 4];
    wire = absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  }
  // The next piece of the wire; empty at the end.
  absl::string_view Next() {
    absl::string_view next = wire.substr(0, piece);
    wire.remove_prefix(next.size());
    return next;
  }

  uint8_t mode = 0;
  size_t piece = 1;
  absl::string_view wire;
};

// A request's decoder answering as the proxy may: once the request is complete (mode bit 0
// clear) or as soon as its head arrives (set); with a body of 2 bytes, or 100 kB to fill windows
// and queues (bit 1), and with trailers (bit 2).
class AnsweringDecoder : public dataplane::http::RequestDecoder {
 public:
  AnsweringDecoder(dataplane::http::ResponseEncoder& encoder, uint8_t mode)
      : encoder_(encoder), mode_(mode) {}

  void DecodeHeaders(dataplane::http::RequestHead head, bool end_stream) override {
    path_ = std::string(head.Path());
    if (end_stream || (mode_ & 1) != 0) Answer();
  }
  void DecodeData(absl::string_view data, bool end_stream) override {
    if (end_stream) Answer();
  }
  void DecodeTrailers(dataplane::http::HeaderMap trailers) override { Answer(); }
  void OnDownstreamWritable() override {}
  void OnDownstreamReset(absl::string_view reason) override { reset_ = true; }

 private:
  void Answer() {
    if (answered_ || reset_) return;
    answered_ = true;
    dataplane::http::ResponseHead head;
    head.status = 200;
    head.headers.Add("x-path", path_.size() < 64 ? path_ : "long");
    std::string body = (mode_ & 2) != 0 ? std::string(100 * 1024, 'b') : "ok";
    bool trailers = (mode_ & 4) != 0;
    if (trailers) {
      head.framing = dataplane::http::BodyFraming::kChunked;
    } else {
      head.framing = dataplane::http::BodyFraming::kContentLength;
      head.content_length = body.size();
    }
    encoder_.EncodeHeaders(head, false);
    if (reset_) return;
    encoder_.EncodeData(body, !trailers);
    if (reset_ || !trailers) return;
    dataplane::http::HeaderMap fields;
    fields.Add("grpc-status", "0");
    encoder_.EncodeTrailers(fields);
  }

  dataplane::http::ResponseEncoder& encoder_;
  const uint8_t mode_;
  std::string path_;
  bool answered_ = false;
  bool reset_ = false;
};

// A client connection as a server codec sees it: every request answered by an AnsweringDecoder;
// writes counted and dropped; blocked while `blocked` says so.
class ServerConnection : public dataplane::http::ServerCodec::Callbacks {
 public:
  explicit ServerConnection(uint8_t mode) : mode_(mode) {}
  dataplane::http::RequestDecoder& NewStream(dataplane::http::ResponseEncoder& encoder) override {
    decoders_.push_back(std::make_unique<AnsweringDecoder>(encoder, mode_));
    return *decoders_.back();
  }
  void Write(std::string data) override { written_ += data.size(); }
  bool WriteBlocked() const override { return blocked; }
  void PauseReading(bool paused) override {}
  void CloseAfterWrites(dataplane::http::CloseReason, absl::string_view) override { closed = true; }
  void Abort(dataplane::http::CloseReason, absl::string_view) override { closed = true; }
  void OnReadyForNextRequest() override {}
  std::string peer_ip() const override { return "192.0.2.1"; }

  bool closed = false;
  bool blocked = false;

 private:
  const uint8_t mode_;
  // The decoders outlive the codec, which resets the streams still open when it goes.
  std::vector<std::unique_ptr<dataplane::http::RequestDecoder>> decoders_;
  size_t written_ = 0;
};

}  // namespace gatehouse::fuzz
