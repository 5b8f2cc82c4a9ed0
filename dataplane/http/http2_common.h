// What both HTTP/2 codecs need around nghttp2: header lists, and a body waiting for the peer's
// flow-control window.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/event/buffer.h"
#include "dataplane/http/headers.h"

namespace gatehouse::dataplane::http {

inline absl::string_view View(const uint8_t* data, size_t length) {
  return absl::string_view(reinterpret_cast<const char*>(data), length);
}

// Fields HTTP/2 forbids in a message (RFC 9113 section 8.2.2); HTTP/1.1 messages may carry them.
bool ConnectionSpecificField(absl::string_view lower_name);

// Hands what `session` has queued to `write`, in pieces of about 64 KiB, for as long as
// `blocked()` is false.
template <typename Blocked, typename Write>
void SendQueuedFrames(nghttp2_session* session, Blocked blocked, Write write) {
  constexpr size_t kWriteChunk = 64 * 1024;
  std::string out;
  while (!blocked()) {
    const uint8_t* data;
    ssize_t length = nghttp2_session_mem_send(session, &data);
    if (length <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
    if (out.size() >= kWriteChunk) {
      write(std::move(out));
      out.clear();
    }
  }
  if (!out.empty()) write(std::move(out));
}

// A header list as nghttp2 takes it: the pseudo-header fields first, then `headers` with their
// names lowercased, connection-specific fields and Host left out, and content-length when given.
// The strings live as long as the object.
class NvList {
 public:
  NvList(std::vector<std::pair<std::string, std::string>> pseudo, const HeaderMap& headers,
         std::optional<uint64_t> content_length);
  NvList(const NvList&) = delete;
  NvList& operator=(const NvList&) = delete;

  const nghttp2_nv* data() const { return nva_.data(); }
  size_t size() const { return nva_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> owned_;  // pseudo-headers, content-length
  std::vector<std::string> names_;                          // lowercased names
  std::vector<nghttp2_nv> nva_;
};

// The body one side of a stream sends: bytes in as the proxy has them, DATA frames out as
// nghttp2 asks (its data provider), then the end or trailer fields.
class OutgoingBody {
 public:
  // Bytes waiting beyond this make the stream report WriteBlocked.
  static constexpr size_t kHighWatermark = 64 * 1024;

  // Adds bytes (and, with `end`, ends the body); wakes nghttp2 if it was waiting for them.
  void Append(nghttp2_session* session, int32_t stream_id, absl::string_view data, bool end);
  // Ends the body with trailer fields.
  void EndWithTrailers(nghttp2_session* session, int32_t stream_id, HeaderMap trailers);
  // nghttp2's read callback. Sets `*drained` when the body went under half the watermark after
  // having been over it: the writer may go on.
  ssize_t Read(nghttp2_session* session, int32_t stream_id, uint8_t* buffer, size_t length,
               uint32_t* flags, bool* drained);
  // A data provider reading this body.
  nghttp2_data_provider Provider(nghttp2_data_source_read_callback read);

  bool over_watermark() const { return output_.size() >= kHighWatermark; }
  bool ended() const { return ended_; }
  // Bytes nghttp2 has not taken yet.
  size_t pending() const { return output_.size(); }
  // Drops what waits: the stream is being reset.
  void Discard() { output_.Consume(output_.size()); }

 private:
  event::Buffer output_;
  std::optional<HeaderMap> trailers_;
  bool ended_ = false;
  bool deferred_ = false;  // nghttp2 waits for bytes (NGHTTP2_ERR_DEFERRED)
  bool was_over_ = false;  // over the watermark since the last drain
};

}  // namespace gatehouse::dataplane::http
