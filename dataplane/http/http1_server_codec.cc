#include "dataplane/http/http1_server_codec.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"

namespace gatehouse::dataplane::http {
namespace {

bool StatusHasNoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

Http1ServerCodec::RequestError Http1ServerCodec::CheckRequest(const RequestHead& head,
                                                              bool chunked) {
  if (head.version_major == 0) return {400, "HTTP/0.9 requests are not served"};
  if (head.version_major != 1) return {505, "only HTTP/1.x is served on this connection"};
  // Origin-form, absolute-form, or asterisk-form for OPTIONS (RFC 9112 section 3.2).
  absl::string_view target = head.target;
  bool absolute = absl::StartsWithIgnoreCase(target, "http://") ||
                  absl::StartsWithIgnoreCase(target, "https://");
  if (target.empty() ||
      (target == "*" ? head.method != "OPTIONS" : !absolute && target.front() != '/')) {
    return {400, "malformed request target"};
  }
  // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, a valid one when present.
  int hosts = 0;
  for (const HeaderMap::Entry& entry : head.headers.entries()) {
    if (absl::EqualsIgnoreCase(entry.first, "host")) ++hosts;
  }
  if (hosts > 1) return {400, "more than one Host header"};
  if (hosts == 0 && head.version_minor >= 1) return {400, "missing Host header"};
  if (hosts == 1 && !IsValidHost(*head.headers.Get("host"))) return {400, "invalid Host header"};
  // RFC 9112 section 6.1: chunked, once and last, is the only transfer coding a request may
  // have here; anything else means its framing cannot be trusted.
  std::vector<std::string> codings;
  for (const HeaderMap::Entry& entry : head.headers.entries()) {
    if (!absl::EqualsIgnoreCase(entry.first, "transfer-encoding")) continue;
    for (absl::string_view coding : absl::StrSplit(entry.second, ',')) {
      coding = absl::StripTrailingAsciiWhitespace(absl::StripLeadingAsciiWhitespace(coding));
      if (!coding.empty()) codings.push_back(absl::AsciiStrToLower(coding));
    }
  }
  bool has_transfer_encoding = head.headers.Has("transfer-encoding");
  if (has_transfer_encoding && head.version_minor == 0) {
    return {400, "Transfer-Encoding in an HTTP/1.0 request"};
  }
  if (has_transfer_encoding) {
    if (codings.empty() || codings.back() != "chunked" || !chunked) {
      return {400, "the final transfer coding is not chunked"};
    }
    if (std::count(codings.begin(), codings.end(), "chunked") > 1) {
      return {400, "chunked applied more than once"};
    }
    if (codings.size() > 1) return {501, "transfer codings other than chunked are not supported"};
  }
  return {};
}

Http1ServerCodec::Http1ServerCodec(Callbacks* callbacks)
    : callbacks_(callbacks), parser_(Http1Parser::Kind::kRequest, this) {}

void Http1ServerCodec::SetPhase(Phase next) {
  bool allowed = false;
  switch (next) {
    case Phase::kClosed:
      allowed = true;
      break;
    case Phase::kIdle:
      allowed = phase_ == Phase::kRequestDone || phase_ == Phase::kAwaitingResponse;
      break;
    case Phase::kReadingHead:
      allowed = phase_ == Phase::kIdle;
      break;
    case Phase::kReadingBody:
      allowed = phase_ == Phase::kReadingHead;
      break;
    case Phase::kRequestDone:
      allowed = phase_ == Phase::kReadingBody;
      break;
    case Phase::kAwaitingResponse:
      allowed = phase_ == Phase::kRequestDone;
      break;
    case Phase::kTunnel:
      allowed = phase_ == Phase::kReadingBody || phase_ == Phase::kRequestDone ||
                phase_ == Phase::kAwaitingResponse;
      break;
  }
  if (!allowed) {
    LOG_FATAL("http1 server codec: no transition from phase ", static_cast<int>(phase_), " to ",
              static_cast<int>(next));
  }
  phase_ = next;
}

size_t Http1ServerCodec::Dispatch(absl::string_view input) {
  if (phase_ == Phase::kTunnel) {
    // After 101 Switching Protocols the bytes are the new protocol's: passed on as they come.
    if (decoder_ != nullptr && !input.empty()) decoder_->DecodeData(input, false);
    return input.size();
  }
  size_t consumed = 0;
  // Parsing stops where the connection closed, switched protocols, or waits for a response.
  while (!closed() && phase_ != Phase::kAwaitingResponse && phase_ != Phase::kTunnel &&
         consumed < input.size()) {
    Http1Parser::Result result = parser_.Execute(input.substr(consumed));
    consumed += result.consumed;
    if (result.code == Http1Parser::Result::kError) {
      pending_head_.reset();
    } else {
      DeliverHead();  // llhttp accepted the head and its framing
    }
    switch (result.code) {
      case Http1Parser::Result::kOk:
        break;
      case Http1Parser::Result::kPaused:
      case Http1Parser::Result::kUpgrade:
        if (result.code == Http1Parser::Result::kUpgrade) close_after_response_ = true;
        // The completed response may already have closed the connection, or switched it.
        if (closed() || phase_ == Phase::kTunnel) break;
        if (response_complete_) {
          SetPhase(Phase::kIdle);
          parser_.Resume();
        } else {
          SetPhase(Phase::kAwaitingResponse);
        }
        break;
      case Http1Parser::Result::kError:
        if (decoder_ != nullptr) {
          RequestDecoder* decoder = decoder_;
          decoder_ = nullptr;
          decoder->OnDownstreamReset(result.error);
        }
        SendError(result.status_hint, result.error);
        return input.size();
    }
  }
  return consumed;
}

bool Http1ServerCodec::SplitAbsoluteForm(RequestHead& head) {
  // RFC 9112 section 3.2.2: an absolute-form target's authority replaces the Host header.
  absl::string_view target = head.target;
  size_t scheme_end = target.find("://");
  if (scheme_end == absl::string_view::npos || target.front() == '/') return false;
  absl::string_view scheme = target.substr(0, scheme_end);
  if (!absl::EqualsIgnoreCase(scheme, "http") && !absl::EqualsIgnoreCase(scheme, "https")) {
    return false;
  }
  absl::string_view rest = target.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  std::string origin_form =
      path_start == absl::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (!origin_form.empty() && origin_form.front() == '?') origin_form.insert(0, "/");
  head.headers.Set("Host", authority);
  head.target = std::move(origin_form);
  return true;
}

bool Http1ServerCodec::OnHead() {
  SetPhase(Phase::kReadingBody);
  request_end_sent_ = false;
  response_started_ = false;
  response_complete_ = false;

  RequestHead head;
  head.method = parser_.method();
  head.target = parser_.target();
  head.version_major = parser_.version_major();
  head.version_minor = parser_.version_minor();
  request_version_minor_ = head.version_minor;
  keep_alive_ = parser_.ShouldKeepAlive();
  head_request_ = head.method == "HEAD";
  head.headers = std::move(parser_.headers());
  if (parser_.upgrade() || head.method == "CONNECT") close_after_response_ = true;
  if (parser_.upgrade() && head.method == "GET") {
    // WebSocket: if the upstream agrees (101), the connection becomes a tunnel; if not, it
    // closes after the answer. Other protocols are not switched to: the request goes as is.
    const std::string* upgrade = head.headers.Get("upgrade");
    if (upgrade != nullptr && absl::EqualsIgnoreCase(*upgrade, "websocket"))
      head.upgrade = *upgrade;
  }
  if (head.method == "CONNECT") {
    // A proxy for tunnels is not what an ingress is: refuse, never forward.
    SendError(405, "CONNECT is not supported");
    return false;
  }
  if (RequestError error = CheckRequest(head, parser_.chunked()); error.status != 0) {
    SendError(error.status, error.detail);
    return false;
  }
  // CheckRequest checked the Host header; an absolute-form target's authority replaces it.
  if (SplitAbsoluteForm(head) && !IsValidHost(*head.headers.Get("host"))) {
    SendError(400, "invalid authority in the request target");
    return false;
  }
  expect_continue_ = false;
  if (const std::string* expect = head.headers.Get("expect");
      expect != nullptr && absl::EqualsIgnoreCase(*expect, "100-continue") &&
      head.version_minor >= 1) {
    // The upstream sees an ordinary request; the proxy asks for the body itself, unless the
    // request is answered at once (a 413, say).
    head.headers.Remove("expect");
    expect_continue_ = true;
  }
  if (parser_.chunked()) {
    head.framing = BodyFraming::kChunked;
  } else if (parser_.has_content_length() && parser_.content_length() > 0) {
    head.framing = BodyFraming::kContentLength;
    head.content_length = parser_.content_length();
  }
  RemoveFramingAndHopByHopHeaders(head.headers);
  if (const std::string* host = head.headers.Get("host")) head.authority = *host;
  // Not handed on yet: llhttp checks the framing headers only after this callback returns, and
  // a request it then refuses must never reach a stream (DeliverHead).
  pending_head_.emplace(std::move(head));
  return false;
}

void Http1ServerCodec::DeliverHead() {
  if (!pending_head_.has_value()) return;
  RequestHead head = std::move(*pending_head_);
  pending_head_.reset();
  bool end_stream = head.framing == BodyFraming::kNone;
  request_end_sent_ = end_stream;
  decoder_ = &callbacks_->NewStream(*this);
  decoder_->DecodeHeaders(std::move(head), end_stream);
  if (expect_continue_ && !end_stream && !response_started_ && !closed()) {
    callbacks_->Write("HTTP/1.1 100 Continue\r\n\r\n");
  }
}

void Http1ServerCodec::OnBody(absl::string_view data) {
  DeliverHead();
  if (decoder_ != nullptr) decoder_->DecodeData(data, false);
}

void Http1ServerCodec::OnMessageComplete() {
  DeliverHead();
  // (A stream answering at once may have closed or switched the connection meanwhile.)
  if (phase_ == Phase::kReadingBody) SetPhase(Phase::kRequestDone);
  if (decoder_ != nullptr && !request_end_sent_) {
    request_end_sent_ = true;
    HeaderMap trailers = std::move(parser_.headers());
    RemoveDisallowedTrailers(trailers);
    if (trailers.size() > 0) {
      decoder_->DecodeTrailers(std::move(trailers));
    } else {
      decoder_->DecodeData(absl::string_view(), true);
    }
  }
}

void Http1ServerCodec::EncodeHeaders(const ResponseHead& head, bool end_stream) {
  response_started_ = true;
  if (head.status == 101 && !head.upgrade.empty() && !end_stream) {
    std::string out = "HTTP/1.1 101 Switching Protocols\r\n";
    head.headers.AppendTo(out);
    absl::StrAppend(&out, "Connection: Upgrade\r\nUpgrade: ", head.upgrade, "\r\n\r\n");
    callbacks_->Write(std::move(out));
    SetPhase(Phase::kTunnel);
    // Bytes the client sent after its request are the tunnel's first: read on.
    callbacks_->OnReadyForNextRequest();
    return;
  }
  absl::string_view reason = head.reason.empty() ? ReasonPhrase(head.status) : head.reason;
  body_allowed_ = !head_request_ && !StatusHasNoBody(head.status);
  std::string out;
  // Room for the status line, the headers, the framing lines, and a small body: what usually
  // leaves in one write then fills one buffer.
  out.reserve(96 + reason.size() + head.headers.EncodedSize() +
              (body_allowed_ ? BodyRoom(head.framing, head.content_length) : 0));
  absl::StrAppend(&out, "HTTP/1.1 ", head.status, " ", reason, "\r\n");
  head.headers.AppendTo(out);
  chunked_response_ = false;
  if (!StatusHasNoBody(head.status)) {
    switch (head.framing) {
      case BodyFraming::kContentLength:
        absl::StrAppend(&out, "Content-Length: ", head.content_length, "\r\n");
        break;
      case BodyFraming::kNone:
        if (!head_request_) out += "Content-Length: 0\r\n";
        break;
      case BodyFraming::kChunked:
      case BodyFraming::kUntilClose:
        if (request_version_minor_ >= 1) {
          out += "Transfer-Encoding: chunked\r\n";
          chunked_response_ = body_allowed_;
        } else {
          close_after_response_ = true;  // HTTP/1.0: the close ends the body
        }
        break;
    }
  }
  // A response before the request's end means the rest of it is never read: say so.
  bool request_unfinished = phase_ == Phase::kReadingBody && !request_end_sent_;
  if (!keep_alive_ || close_after_response_ || draining_ || request_unfinished) {
    close_after_response_ = true;
    out += "Connection: close\r\n";
  } else if (request_version_minor_ == 0) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  callbacks_->Write(std::move(out));
  if (end_stream) OnResponseComplete();
}

void Http1ServerCodec::EncodeTrailers(const HeaderMap& trailers) {
  if (!chunked_response_ || phase_ == Phase::kTunnel) {
    EncodeData(absl::string_view(), true);
    return;
  }
  std::string out = "0\r\n";
  trailers.AppendTo(out);
  out += "\r\n";
  callbacks_->Write(std::move(out));
  OnResponseComplete();
}

void Http1ServerCodec::EncodeData(absl::string_view data, bool end_stream) {
  if (phase_ == Phase::kTunnel) {
    if (!data.empty()) callbacks_->WriteCopy(data);
    if (end_stream) {
      SetPhase(Phase::kClosed);
      callbacks_->CloseAfterWrites(CloseReason::kConnectionClose, "the upstream ended the tunnel");
    }
    return;
  }
  if (body_allowed_ && !data.empty()) {
    if (chunked_response_) {
      callbacks_->Write(EncodeChunk(data));
    } else {
      callbacks_->WriteCopy(data);
    }
  }
  if (end_stream) {
    if (chunked_response_) callbacks_->Write("0\r\n\r\n");
    OnResponseComplete();
  }
}

void Http1ServerCodec::OnResponseComplete() {
  response_complete_ = true;
  response_started_ = false;  // a parse error before the next request still gets its 400
  decoder_ = nullptr;
  // A request without body is complete once its head is parsed.
  bool request_done = phase_ != Phase::kReadingBody || request_end_sent_;
  if (close_after_response_ || !request_done) {
    // Unread request bytes would have to be drained first; closing is simpler and allowed.
    SetPhase(Phase::kClosed);
    if (!request_done) {
      callbacks_->CloseAfterWrites(CloseReason::kUnreadRequestBody, "response before request end");
    } else {
      callbacks_->CloseAfterWrites(draining_ ? CloseReason::kDrain : CloseReason::kConnectionClose,
                                   "connection close");
    }
    return;
  }
  if (phase_ == Phase::kAwaitingResponse) {
    SetPhase(Phase::kIdle);
    parser_.Resume();
    callbacks_->OnReadyForNextRequest();
  }
}

void Http1ServerCodec::OnWritable() {
  if (decoder_ != nullptr) decoder_->OnDownstreamWritable();
}

void Http1ServerCodec::OnRemoteClose(absl::string_view error) {
  SetPhase(Phase::kClosed);
  if (decoder_ != nullptr) {
    RequestDecoder* decoder = decoder_;
    decoder_ = nullptr;
    decoder->OnDownstreamReset(error.empty() ? "downstream closed the connection" : error);
  }
}

void Http1ServerCodec::ResetStream(absl::string_view detail) {
  SetPhase(Phase::kClosed);
  decoder_ = nullptr;
  callbacks_->Abort(CloseReason::kUpstreamReset, detail);
}

void Http1ServerCodec::SendError(int status, absl::string_view detail) {
  SetPhase(Phase::kClosed);
  if (!response_started_) {
    std::string body = absl::StrCat(status, " ", ReasonPhrase(status), "\n");
    callbacks_->Write(absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status),
                                   "\r\nServer: gatehouse\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: ",
                                   body.size(), "\r\nConnection: close\r\n\r\n", body));
  }
  callbacks_->CloseAfterWrites(
      status == 408 ? CloseReason::kRequestHeaderTimeout : CloseReason::kRejectedRequest, detail);
}

}  // namespace gatehouse::dataplane::http
