// The HTTP/2 client side of an upstream connection, on nghttp2: many requests at once, each a
// Stream (a RequestEncoder) answering into its own ResponseDecoder.
//
// A request's head becomes the pseudo-header fields (:authority from the Host); its body goes
// out as the peer's flow-control window allows, and WriteBlocked says when it waits. Response
// bytes are acknowledged (WINDOW_UPDATE) only as the proxy takes them, so a slow client slows
// the upstream instead of filling memory. Trailers pass both ways, as gRPC needs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "dataplane/http/stream.h"

typedef struct nghttp2_session nghttp2_session;

namespace gatehouse::dataplane::http {

class Http2ClientCodec {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    virtual void Write(std::string data) = 0;
    virtual bool WriteBlocked() const = 0;
  };

  // One exchange. Owned by the codec; the user lets go of it with ReleaseStream.
  class Stream;

  static constexpr uint32_t kStreamWindow = 256 * 1024;
  static constexpr uint32_t kConnectionWindow = 1024 * 1024;

  // `tls`: requests say :scheme https.
  Http2ClientCodec(Callbacks* callbacks, bool tls);
  ~Http2ClientCodec();

  // A new exchange answering into `decoder`; its request starts with EncodeHeaders.
  RequestEncoder* NewStream(ResponseDecoder* decoder);
  // Where the response of `stream` goes from now on; nullptr: nowhere.
  void SetDecoder(RequestEncoder* stream, ResponseDecoder* decoder);
  // The user is done with `stream` (from NewStream): an exchange still open is cancelled
  // (RST_STREAM), and no decoder call follows.
  void ReleaseStream(RequestEncoder* stream);

  // Parses upstream bytes; all are consumed.
  size_t Dispatch(absl::string_view input);
  void OnWritable();
  // The connection ended: every open exchange is reset.
  void OnRemoteClose(absl::string_view error);
  // Whether new exchanges may start: the connection is up and the peer sent no GOAWAY.
  bool accepting() const;
  // The exchanges not yet released, and how many the peer lets run at once.
  size_t streams() const { return streams_.size(); }
  size_t max_streams() const;
  // The session has nothing more to do: closed, or told to go away with nothing left open.
  bool finished() const;

 private:
  struct SessionCallbacks;
  friend struct SessionCallbacks;

  // Sends what nghttp2 has queued, unless the upstream is blocked or nghttp2 is on the stack.
  void Flush();
  Stream* Find(int32_t id) const;
  void ResetAll(absl::string_view reason);

  Callbacks* callbacks_;
  const bool tls_;
  nghttp2_session* session_ = nullptr;
  absl::flat_hash_map<Stream*, std::unique_ptr<Stream>> streams_;  // not yet released
  std::vector<std::unique_ptr<Stream>> released_;  // freed once nghttp2 cannot be inside them
  std::vector<Stream*> writable_;                  // body drained while nghttp2 was sending
  bool in_nghttp2_ = false;
  bool flush_pending_ = false;
  bool closed_ = false;
  bool goaway_ = false;
};

}  // namespace gatehouse::dataplane::http
