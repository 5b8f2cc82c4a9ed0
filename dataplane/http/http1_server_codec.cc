#include "dataplane/http/http1_server_codec.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gatehouse::dataplane::http {
namespace {

bool StatusHasNoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void AppendHeaders(std::string& out, const HeaderMap& headers) {
  for (const HeaderMap::Entry& entry : headers.entries()) {
    absl::StrAppend(&out, entry.first, ": ", entry.second, "\r\n");
  }
}

}  // namespace

Http1ServerCodec::Http1ServerCodec(Callbacks* callbacks)
    : callbacks_(callbacks), parser_(Http1Parser::Kind::kRequest, this) {}

size_t Http1ServerCodec::Dispatch(absl::string_view input) {
  size_t consumed = 0;
  while (!dead_ && !waiting_for_response_ && consumed < input.size()) {
    Http1Parser::Result result = parser_.Execute(input.substr(consumed));
    consumed += result.consumed;
    switch (result.code) {
      case Http1Parser::Result::kOk:
        break;
      case Http1Parser::Result::kPaused:
      case Http1Parser::Result::kUpgrade:
        if (result.code == Http1Parser::Result::kUpgrade) close_after_response_ = true;
        if (response_complete_) {
          in_request_ = false;
          if (dead_) break;  // the completed response already closed the connection
          parser_.Resume();
        } else {
          waiting_for_response_ = true;
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

void Http1ServerCodec::SplitAbsoluteForm(RequestHead& head) {
  // RFC 9112 section 3.2.2: an absolute-form target's authority replaces the Host header.
  absl::string_view target = head.target;
  size_t scheme_end = target.find("://");
  if (scheme_end == absl::string_view::npos || target.front() == '/') return;
  absl::string_view scheme = target.substr(0, scheme_end);
  if (!absl::EqualsIgnoreCase(scheme, "http") && !absl::EqualsIgnoreCase(scheme, "https")) return;
  absl::string_view rest = target.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  std::string origin_form =
      path_start == absl::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (!origin_form.empty() && origin_form.front() == '?') origin_form.insert(0, "/");
  head.headers.Set("Host", authority);
  head.target = std::move(origin_form);
}

bool Http1ServerCodec::OnHead() {
  in_request_ = true;
  reading_head_ = false;
  request_complete_ = false;
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
  // Tunnels (WebSocket, CONNECT) are not proxied yet: answer as a plain request, then close.
  if (parser_.upgrade() || head.method == "CONNECT") close_after_response_ = true;
  SplitAbsoluteForm(head);
  if (const std::string* expect = head.headers.Get("expect");
      expect != nullptr && absl::EqualsIgnoreCase(*expect, "100-continue") &&
      head.version_minor >= 1) {
    // Ask for the body now rather than make the client wait out its expect timer; the upstream
    // then sees an ordinary request.
    head.headers.Remove("expect");
    callbacks_->Write("HTTP/1.1 100 Continue\r\n\r\n");
  }
  if (parser_.chunked()) {
    head.framing = BodyFraming::kChunked;
  } else if (parser_.has_content_length() && parser_.content_length() > 0) {
    head.framing = BodyFraming::kContentLength;
    head.content_length = parser_.content_length();
  }
  RemoveFramingAndHopByHopHeaders(head.headers);
  if (const std::string* host = head.headers.Get("host")) head.authority = *host;

  if (head.method == "CONNECT") {
    // A proxy for tunnels is not what an ingress is: refuse, never forward.
    SendError(405, "CONNECT is not supported");
    return false;
  }
  bool end_stream = head.framing == BodyFraming::kNone;
  request_end_sent_ = end_stream;
  decoder_ = &callbacks_->NewStream(*this);
  decoder_->DecodeHeaders(std::move(head), end_stream);
  return false;
}

void Http1ServerCodec::OnBody(absl::string_view data) {
  if (decoder_ != nullptr) decoder_->DecodeData(data, false);
}

void Http1ServerCodec::OnMessageComplete() {
  request_complete_ = true;
  if (decoder_ != nullptr && !request_end_sent_) {
    request_end_sent_ = true;
    decoder_->DecodeData(absl::string_view(), true);
  }
}

void Http1ServerCodec::EncodeHeaders(const ResponseHead& head, bool end_stream) {
  response_started_ = true;
  std::string out =
      absl::StrCat("HTTP/1.1 ", head.status, " ",
                   head.reason.empty() ? ReasonPhrase(head.status) : head.reason, "\r\n");
  AppendHeaders(out, head.headers);
  body_allowed_ = !head_request_ && !StatusHasNoBody(head.status);
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
  if (!keep_alive_ || close_after_response_ || draining_) {
    close_after_response_ = true;
    out += "Connection: close\r\n";
  } else if (request_version_minor_ == 0) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  callbacks_->Write(std::move(out));
  if (end_stream) OnResponseComplete();
}

void Http1ServerCodec::EncodeData(absl::string_view data, bool end_stream) {
  if (body_allowed_ && !data.empty()) {
    if (chunked_response_) {
      callbacks_->Write(EncodeChunk(data));
    } else {
      callbacks_->Write(std::string(data));
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
  bool request_done = request_complete_ || request_end_sent_;
  if (close_after_response_ || !request_done) {
    // Unread request bytes would have to be drained first; closing is simpler and allowed.
    dead_ = true;
    if (close_after_response_) {
      callbacks_->CloseAfterWrites(draining_ ? CloseReason::kDrain : CloseReason::kConnectionClose,
                                   "connection close");
    } else {
      callbacks_->CloseAfterWrites(CloseReason::kUnreadRequestBody, "response before request end");
    }
    return;
  }
  if (waiting_for_response_) {
    waiting_for_response_ = false;
    in_request_ = false;
    parser_.Resume();
    callbacks_->OnReadyForNextRequest();
  }
}

void Http1ServerCodec::OnWritable() {
  if (decoder_ != nullptr) decoder_->OnDownstreamWritable();
}

void Http1ServerCodec::OnRemoteClose(absl::string_view error) {
  dead_ = true;
  if (decoder_ != nullptr) {
    RequestDecoder* decoder = decoder_;
    decoder_ = nullptr;
    decoder->OnDownstreamReset(error.empty() ? "downstream closed the connection" : error);
  }
}

void Http1ServerCodec::SendError(int status, absl::string_view detail) {
  dead_ = true;
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
