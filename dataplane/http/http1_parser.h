// llhttp behind a small interface shared by the HTTP/1 server and client codecs.
//
// It collects a message head (request line or status line, headers with their original case)
// and reports body bytes and the end of each message. Nothing outside this file and its .cc
// sees llhttp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/http/headers.h"

namespace gatehouse::dataplane::http {

class Http1Parser {
 public:
  enum class Kind { kRequest, kResponse };

  class Listener {
   public:
    virtual ~Listener() = default;
    // The first byte of a new message arrived.
    virtual void OnMessageBegin() {}
    // The head is complete. Returning true tells the parser the message has no body (a
    // response to HEAD).
    virtual bool OnHead() = 0;
    virtual void OnBody(absl::string_view data) = 0;
    // The message is complete; the parser pauses until Resume().
    virtual void OnMessageComplete() = 0;
  };

  struct Result {
    enum Code { kOk, kPaused, kUpgrade, kError };
    Code code = kOk;
    size_t consumed = 0;
    int status_hint = 400;  // for kError: the status to answer with
    std::string error;
  };

  // Limits on what a head may hold; past them the message is refused with the status given.
  static constexpr size_t kMaxHeadBytes = 64 * 1024;   // 431
  static constexpr size_t kMaxTargetBytes = 8 * 1024;  // 414
  static constexpr size_t kMaxHeaders = 100;           // 431
  static constexpr size_t kMaxChunkExtensionBytes = 4096;  // per chunk; 400

  Http1Parser(Kind kind, Listener* listener);
  ~Http1Parser();

  // Parses as much of `data` as it can; stops after a complete message (kPaused).
  Result Execute(absl::string_view data);
  // The connection closed: completes a body delimited by the close, or reports truncation.
  Result Finish();
  void Resume();

  // The head of the message being parsed; valid from OnHead() on. After OnHead has taken the
  // headers, headers() holds the trailer fields, if any, at OnMessageComplete.
  const std::string& method() const { return method_; }
  const std::string& target() const { return target_; }
  int status() const;
  const std::string& reason() const { return reason_; }
  int version_major() const;
  int version_minor() const;
  HeaderMap& headers() { return headers_; }
  bool chunked() const;
  bool has_content_length() const;
  uint64_t content_length() const { return content_length_; }
  // Whether the request asked to switch protocols (Upgrade) or is a CONNECT.
  bool upgrade() const;
  // Whether the connection may carry another message after this one.
  bool ShouldKeepAlive() const;

 private:
  struct State;
  friend struct State;

  std::unique_ptr<State> state_;
  Listener* listener_;
  std::string method_;
  std::string target_;
  std::string reason_;
  // The header whose name or value is being parsed (in headers_), or null between headers.
  HeaderMap::Entry* header_ = nullptr;
  bool in_value_ = false;
  size_t head_bytes_ = 0;
  size_t chunk_extension_bytes_ = 0;
  // The data of the Execute call in progress, and the byte before it (from the previous call),
  // so a callback can tell what precedes the span it is given.
  const char* execute_begin_ = nullptr;
  char byte_before_execute_ = '\0';
  // Why the parser stopped the message from a callback: a status and a reason.
  int reject_status_ = 0;
  std::string reject_reason_;
  uint64_t content_length_ = 0;
  HeaderMap headers_;
};

// Room to leave for the body after a head, so that a small body joins its head in one write:
// a Content-Length body up to 16 KiB; none for other framings. Both codecs size heads with it.
size_t BodyRoom(BodyFraming framing, uint64_t content_length);

// One chunk of the chunked transfer coding: hex size, CRLF, data, CRLF. Both codecs write it.
std::string EncodeChunk(absl::string_view data);

}  // namespace gatehouse::dataplane::http
