// The HTTP/2 server side of a downstream connection, on nghttp2.
//
// Each client stream becomes one RequestDecoder from Callbacks::NewStream, seeing the same
// RequestHead an HTTP/1.1 request would give (pseudo-headers folded into method, target and
// Host); each stream is its own ResponseEncoder. nghttp2 checks the framing and the messaging
// rules of RFC 9113; this codec adds what a proxy facing the internet needs:
//
//  - flow control with backpressure: request bytes are acknowledged (WINDOW_UPDATE) only as
//    the proxy takes them, and a stream whose response the client reads slowly reports
//    WriteBlocked, so the upstream is paused instead of buffered;
//  - limits: concurrent streams, and a request head's size and field count (431 on the
//    stream); a header block whose frames or decoded size go far past the limit (CONTINUATION
//    floods, HPACK bombs) ends the connection with ENHANCE_YOUR_CALM;
//  - rapid reset (CVE-2023-44487): a client that resets most of the streams it opens before
//    their responses is disconnected;
//  - GOAWAY on drain and on idle timeout, so clients retry elsewhere instead of failing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "dataplane/http/server_codec.h"
#include "dataplane/http/stream.h"

typedef struct nghttp2_session nghttp2_session;

namespace gatehouse::dataplane::http {

class Http2ServerCodec : public ServerCodec {
 public:
  // The client connection preface (RFC 9113 section 3.4): how a cleartext connection starting
  // with HTTP/2 (prior knowledge) is told from HTTP/1.1.
  static constexpr absl::string_view kConnectionPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

  static constexpr uint32_t kMaxConcurrentStreams = 128;
  static constexpr uint32_t kStreamWindow = 256 * 1024;
  static constexpr uint32_t kConnectionWindow = 1024 * 1024;
  // A request head's decoded fields (name + value + 32 each, as RFC 9113 counts them).
  static constexpr size_t kMaxHeaderListBytes = 64 * 1024;
  static constexpr size_t kMaxHeaders = 100;
  // Beyond these a header block is an attack, not a request: the connection ends.
  static constexpr size_t kMaxHeaderBlockFrames = 8;  // 128 KiB at the default frame size
  static constexpr size_t kMaxDecodedHeaderBytes = 4 * kMaxHeaderListBytes;
  // Rapid reset: at least this many streams reset by the client before their responses, and
  // at least half of all the streams it opened.
  static constexpr uint64_t kMaxPrematureResets = 100;

  explicit Http2ServerCodec(Callbacks* callbacks);
  ~Http2ServerCodec() override;

  // ServerCodec
  size_t Dispatch(absl::string_view input) override;
  void OnWritable() override;
  void OnRemoteClose(absl::string_view error) override;
  bool idle() const override { return streams_.empty(); }
  bool reading_head() const override {
    return heads_pending_ > 0 && heads_pending_ == streams_.size();
  }
  bool tunneling() const override { return false; }
  void Reject(int status, absl::string_view reason) override;
  void Drain(CloseReason reason) override;

 private:
  class Stream;
  friend class Stream;
  struct SessionCallbacks;  // nghttp2's callbacks, with access to the codec

  // Sends what nghttp2 has queued, unless the downstream is blocked or nghttp2 is on the stack;
  // then closes the connection if the session is over.
  void Flush();
  // Ends the connection with GOAWAY(`error_code`) once it is written.
  void Terminate(uint32_t error_code, CloseReason reason, absl::string_view detail);
  // Answers a stream the codec refuses itself (431, 400, 405), without a decoder.
  void SendLocalResponse(Stream& stream, int status);
  // The request head of `stream` is complete: checked, then handed to a new decoder.
  void DeliverHead(Stream& stream, bool end_stream);
  Stream* FindStream(int32_t id) const;
  // The connection's budget is exhausted: OnBudgetRoom runs once it has room again, to open
  // the connection window withheld meanwhile and wake the streams it held.
  void WaitForBudget();
  static void OnBudgetRoom(void* arg);
  void ResetAllStreams(absl::string_view reason);

  Callbacks* callbacks_;
  nghttp2_session* session_ = nullptr;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  // Closed streams, freed when no caller can be inside one (at the next Dispatch or write).
  std::vector<std::unique_ptr<Stream>> closed_;
  // Streams whose response buffer went under its watermark while nghttp2 was sending.
  std::vector<int32_t> writable_;
  size_t window_withheld_ = 0;       // request bytes whose connection window waits for the budget
  bool waiting_for_budget_ = false;  // in the budget's waiters: OnBudgetRoom is owed
  size_t heads_pending_ = 0;         // live streams whose request head is not complete
  uint64_t streams_opened_ = 0;
  uint64_t premature_resets_ = 0;
  size_t block_frames_ = 0;         // frames of the header block being received
  size_t block_decoded_bytes_ = 0;  // its decoded fields
  bool in_nghttp2_ = false;         // inside nghttp2_session_mem_recv or mem_send
  bool flush_pending_ = false;
  bool terminating_ = false;  // GOAWAY with an error is queued: the connection ends
  bool closed_connection_ = false;
  CloseReason close_reason_ = CloseReason::kPeerClosed;
  std::string close_detail_ = "the session ended";
};

}  // namespace gatehouse::dataplane::http
