#include "dataplane/http/http1_client_codec.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace gatehouse::dataplane::http {

Http1ClientCodec::Http1ClientCodec(Callbacks* callbacks)
    : callbacks_(callbacks), parser_(Http1Parser::Kind::kResponse, this) {}

void Http1ClientCodec::SetPhase(Phase next) {
  bool allowed = false;
  switch (next) {
    case Phase::kBroken:
      allowed = true;
      break;
    case Phase::kIdle:
      allowed = phase_ == Phase::kInterim || phase_ == Phase::kResponding;
      break;
    case Phase::kInterim:
    case Phase::kResponding:
    case Phase::kTunnel:
      allowed = phase_ == Phase::kIdle;
      break;
  }
  if (!allowed) {
    LOG_FATAL("http1 client codec: no transition from phase ", static_cast<int>(phase_), " to ",
              static_cast<int>(next));
  }
  phase_ = next;
}

void Http1ClientCodec::EncodeHeaders(const RequestHead& head, bool end_stream) {
  request_complete_ = false;
  reusable_ = false;
  response_end_sent_ = false;
  head_request_ = head.method == "HEAD";
  std::string out;
  // Room for the request line, the headers, the framing lines, and a small body.
  out.reserve(96 + head.method.size() + head.target.size() + head.headers.EncodedSize() +
              head.upgrade.size() + BodyRoom(head.framing, head.content_length));
  out.append(head.method).append(" ", 1).append(head.target).append(" HTTP/1.1\r\n", 11);
  head.headers.AppendTo(out);
  upgrade_requested_ = !head.upgrade.empty();
  if (upgrade_requested_) {
    absl::StrAppend(&out, "Connection: Upgrade\r\nUpgrade: ", head.upgrade, "\r\n");
  }
  chunked_request_ = false;
  switch (head.framing) {
    case BodyFraming::kContentLength:
      absl::StrAppend(&out, "Content-Length: ", head.content_length, "\r\n");
      break;
    case BodyFraming::kChunked:
    case BodyFraming::kUntilClose:
      out += "Transfer-Encoding: chunked\r\n";
      chunked_request_ = true;
      break;
    case BodyFraming::kNone:
      break;
  }
  out += "\r\n";
  callbacks_->Write(std::move(out));
  if (end_stream) request_complete_ = true;
}

void Http1ClientCodec::EncodeTrailers(const HeaderMap& trailers) {
  if (!chunked_request_) {
    EncodeData(absl::string_view(), true);
    return;
  }
  std::string out = "0\r\n";
  trailers.AppendTo(out);
  out += "\r\n";
  callbacks_->Write(std::move(out));
  request_complete_ = true;
}

void Http1ClientCodec::EncodeData(absl::string_view data, bool end_stream) {
  if (!data.empty()) {
    if (chunked_request_) {
      callbacks_->Write(EncodeChunk(data));
    } else {
      callbacks_->WriteCopy(data);
    }
  }
  if (end_stream) {
    if (chunked_request_) callbacks_->Write("0\r\n\r\n");
    request_complete_ = true;
  }
}

size_t Http1ClientCodec::Dispatch(absl::string_view input) {
  if (phase_ == Phase::kTunnel) {
    if (decoder_ != nullptr && !input.empty()) decoder_->DecodeResponseData(input, false);
    return input.size();
  }
  size_t consumed = 0;
  while (phase_ != Phase::kBroken && consumed < input.size()) {
    if (phase_ != Phase::kResponding && decoder_ == nullptr) {
      // Bytes on an idle connection: the upstream broke the exchange.
      Reset("upstream sent bytes outside a response");
      return input.size();
    }
    Http1Parser::Result result = parser_.Execute(input.substr(consumed));
    consumed += result.consumed;
    if (phase_ == Phase::kTunnel) {
      // What follows the 101's head is already the new protocol's. (llhttp says so, kUpgrade,
      // only when the 101 names its protocol in Upgrade; without, it ends the message there,
      // kPaused, and would parse the tunnel's bytes as the next response.)
      if (decoder_ != nullptr && consumed < input.size()) {
        decoder_->DecodeResponseData(input.substr(consumed), false);
      }
      return input.size();
    }
    if (result.code == Http1Parser::Result::kError ||
        result.code == Http1Parser::Result::kUpgrade) {
      Reset(absl::StrCat("malformed upstream response: ", result.error));
      return input.size();
    }
    if (result.code == Http1Parser::Result::kPaused) parser_.Resume();
  }
  return consumed;
}

bool Http1ClientCodec::OnHead() {
  int status = parser_.status();
  if (status == 101 && upgrade_requested_) {
    // Switched: the response "body" is the tunnel, for as long as the connection lives.
    SetPhase(Phase::kTunnel);
    reusable_ = false;
    ResponseHead head;
    head.status = status;
    head.reason = parser_.reason();
    head.headers = std::move(parser_.headers());
    if (const std::string* upgrade = head.headers.Get("upgrade")) head.upgrade = *upgrade;
    RemoveFramingAndHopByHopHeaders(head.headers);
    if (head.upgrade.empty()) head.upgrade = "websocket";
    if (decoder_ != nullptr) decoder_->DecodeResponseHeaders(std::move(head), false);
    return false;
  }
  if (status >= 100 && status < 200) {
    SetPhase(Phase::kInterim);  // 1xx interim responses are not forwarded
    return false;
  }
  SetPhase(Phase::kResponding);
  keep_alive_ = parser_.ShouldKeepAlive() && !upgrade_requested_;

  ResponseHead head;
  head.status = status;
  head.reason = parser_.reason();
  head.headers = std::move(parser_.headers());
  RemoveFramingAndHopByHopHeaders(head.headers);
  // 204 and 304 never have a body, whatever their headers say; nor does a response to HEAD.
  bool no_body = head_request_ || status == 204 || status == 304;
  bool end_stream = no_body;
  if (status == 204 || status == 304) {
    head.framing = BodyFraming::kNone;
  } else if (parser_.chunked()) {
    head.framing = BodyFraming::kChunked;
  } else if (parser_.has_content_length()) {
    head.framing = BodyFraming::kContentLength;
    head.content_length = parser_.content_length();
    end_stream = end_stream || head.content_length == 0;
  } else if (!head_request_) {
    head.framing = BodyFraming::kUntilClose;
    keep_alive_ = false;
  }
  response_end_sent_ = end_stream;
  // The decoder may hand the connection back at once: say now whether it can be reused.
  if (end_stream) reusable_ = keep_alive_ && request_complete_;
  if (decoder_ != nullptr) decoder_->DecodeResponseHeaders(std::move(head), end_stream);
  return no_body;
}

void Http1ClientCodec::OnBody(absl::string_view data) {
  if (decoder_ != nullptr) decoder_->DecodeResponseData(data, false);
}

void Http1ClientCodec::OnMessageComplete() {
  if (phase_ == Phase::kInterim) {
    SetPhase(Phase::kIdle);  // the final response is still to come
    return;
  }
  if (phase_ != Phase::kResponding) return;  // a tunnel, or already reset
  SetPhase(Phase::kIdle);
  reusable_ = keep_alive_ && request_complete_;
  ResponseDecoder* decoder = decoder_;
  decoder_ = nullptr;
  if (decoder != nullptr && !response_end_sent_) {
    response_end_sent_ = true;
    HeaderMap trailers = std::move(parser_.headers());
    RemoveDisallowedTrailers(trailers);
    if (trailers.size() > 0) {
      decoder->DecodeResponseTrailers(std::move(trailers));
    } else {
      decoder->DecodeResponseData(absl::string_view(), true);
    }
  }
}

void Http1ClientCodec::OnWritable() {
  if (decoder_ != nullptr) decoder_->OnUpstreamWritable();
}

void Http1ClientCodec::OnRemoteClose(absl::string_view error) {
  if (phase_ == Phase::kTunnel && error.empty() && decoder_ != nullptr) {
    // The upstream closed its end of the tunnel: that ends the exchange.
    ResponseDecoder* decoder = decoder_;
    decoder_ = nullptr;
    SetPhase(Phase::kBroken);
    decoder->DecodeResponseData(absl::string_view(), true);
    return;
  }
  if (phase_ == Phase::kResponding && error.empty()) {
    // A body delimited by the close ends here; any other framing is truncated.
    Http1Parser::Result result = parser_.Finish();
    if (result.code != Http1Parser::Result::kError && phase_ != Phase::kResponding) return;
  }
  Reset(error.empty() ? "upstream closed the connection" : error);
}

void Http1ClientCodec::Reset(absl::string_view reason) {
  SetPhase(Phase::kBroken);
  reusable_ = false;
  ResponseDecoder* decoder = decoder_;
  decoder_ = nullptr;
  if (decoder != nullptr) decoder->OnUpstreamReset(reason);
}

}  // namespace gatehouse::dataplane::http
