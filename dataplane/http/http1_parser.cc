#include "dataplane/http/http1_parser.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "llhttp.h"

namespace gatehouse::dataplane::http {

struct Http1Parser::State {
  llhttp_t parser;

  // The callbacks are the same for every parser: one set, shared (llhttp only reads it).
  static const llhttp_settings_t* Settings();

  static Http1Parser* Self(llhttp_t* p) { return static_cast<Http1Parser*>(p->data); }

  static int Reject(Http1Parser* self, int status, const char* reason) {
    self->reject_status_ = status;
    self->reject_reason_ = reason;
    return HPE_USER;
  }
  static int Count(Http1Parser* self, size_t length) {
    self->head_bytes_ += length;
    if (self->head_bytes_ > kMaxHeadBytes) return Reject(self, 431, "header section too large");
    return 0;
  }
  // The header being parsed is complete: the next field span starts another.
  static void EndHeader(Http1Parser* self) {
    self->header_ = nullptr;
    self->in_value_ = false;
  }
  static int OnMessageBegin(llhttp_t* p) {
    Http1Parser* self = Self(p);
    self->method_.clear();
    self->target_.clear();
    self->reason_.clear();
    self->header_ = nullptr;
    self->in_value_ = false;
    self->head_bytes_ = 0;
    self->reject_status_ = 0;
    self->reject_reason_.clear();
    self->content_length_ = 0;
    self->headers_ = HeaderMap();
    self->listener_->OnMessageBegin();
    return 0;
  }
  static int OnUrl(llhttp_t* p, const char* at, size_t length) {
    Http1Parser* self = Self(p);
    self->target_.append(at, length);
    if (self->target_.size() > kMaxTargetBytes) return Reject(self, 414, "request target too long");
    return Count(self, length);
  }
  static int OnStatus(llhttp_t* p, const char* at, size_t length) {
    Self(p)->reason_.append(at, length);
    return Count(Self(p), length);
  }
  static int OnHeaderField(llhttp_t* p, const char* at, size_t length) {
    Http1Parser* self = Self(p);
    if (self->in_value_) EndHeader(self);
    if (self->header_ == nullptr) {
      if (self->headers_.size() >= kMaxHeaders) return Reject(self, 431, "too many header fields");
      self->header_ = &self->headers_.AddEmpty();
    }
    // Parsed in place: the name and value go straight into the header list.
    self->header_->first.append(at, length);
    return Count(self, length);
  }
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t length) {
    Http1Parser* self = Self(p);
    if (self->header_ == nullptr || self->header_->first.empty()) {
      return Reject(self, 400, "empty header name");
    }
    if (!self->in_value_) {
      for (char c : self->header_->first) {
        // llhttp lets "Name : value" through; RFC 9112 section 5.1 says reject it.
        if (c == ' ' || c == '\t') return Reject(self, 400, "whitespace in a header name");
      }
    }
    if (self->in_value_ && length > 0) {
      // A value continues in a second span either across a read boundary or, when llhttp
      // unfolds an obsolete line fold, right after the line break: RFC 9112 section 5.2 lets
      // a server refuse folding, and refusing it keeps a folded line from hiding a field.
      char before = at > self->execute_begin_ ? at[-1] : self->byte_before_execute_;
      if (before == '\n') return Reject(self, 400, "obsolete line folding in a header");
    }
    if (!self->in_value_ && length > 0) {
      // A fold whose first line's value is empty ("Name:" CRLF SP "value") reaches here as the
      // value's first span: what precedes it on its line is only whitespace, after a line break.
      const char* p = at;
      while (p > self->execute_begin_ && (p[-1] == ' ' || p[-1] == '\t')) --p;
      char before = p > self->execute_begin_ ? p[-1] : self->byte_before_execute_;
      if (before == '\n') return Reject(self, 400, "obsolete line folding in a header");
    }
    self->in_value_ = true;
    self->header_->second.append(at, length);
    return Count(self, length);
  }
  static int OnHeadersComplete(llhttp_t* p) {
    Http1Parser* self = Self(p);
    EndHeader(self);
    if (p->type == HTTP_REQUEST) {
      self->method_ = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    }
    self->content_length_ = (p->flags & F_CONTENT_LENGTH) ? p->content_length : 0;
    return self->listener_->OnHead() ? 1 : 0;
  }
  static int OnChunkHeader(llhttp_t* p) {
    Self(p)->chunk_extension_bytes_ = 0;
    return 0;
  }
  static int OnChunkExtension(llhttp_t* p, const char* at, size_t length) {
    Http1Parser* self = Self(p);
    self->chunk_extension_bytes_ += length;
    if (self->chunk_extension_bytes_ > kMaxChunkExtensionBytes) {
      return Reject(self, 400, "chunk extensions too long");
    }
    return 0;
  }
  static int OnBody(llhttp_t* p, const char* at, size_t length) {
    Self(p)->listener_->OnBody(absl::string_view(at, length));
    return 0;
  }
  static int OnMessageComplete(llhttp_t* p) {
    // A chunked body's trailer fields arrive as header fields after it: the last is complete.
    EndHeader(Self(p));
    Self(p)->listener_->OnMessageComplete();
    return HPE_PAUSED;
  }
};

const llhttp_settings_t* Http1Parser::State::Settings() {
  static const llhttp_settings_t* const settings = [] {
    auto* s = new llhttp_settings_t;
    llhttp_settings_init(s);
    s->on_message_begin = OnMessageBegin;
    s->on_url = OnUrl;
    s->on_status = OnStatus;
    s->on_header_field = OnHeaderField;
    s->on_header_value = OnHeaderValue;
    s->on_headers_complete = OnHeadersComplete;
    s->on_body = OnBody;
    s->on_chunk_header = OnChunkHeader;
    s->on_chunk_extension_name = OnChunkExtension;
    s->on_chunk_extension_value = OnChunkExtension;
    s->on_message_complete = OnMessageComplete;
    return s;
  }();
  return settings;
}

Http1Parser::Http1Parser(Kind kind, Listener* listener)
    : state_(std::make_unique<State>()), listener_(listener) {
  llhttp_init(&state_->parser, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE,
              State::Settings());
  state_->parser.data = this;
}

Http1Parser::~Http1Parser() = default;

namespace {

Http1Parser::Result ToResult(llhttp_t* parser, llhttp_errno_t err, absl::string_view data,
                             int reject_status, const std::string& reject_reason) {
  Http1Parser::Result result;
  switch (err) {
    case HPE_OK:
      result.code = Http1Parser::Result::kOk;
      result.consumed = data.size();
      return result;
    case HPE_PAUSED:
    case HPE_PAUSED_UPGRADE: {
      const char* pos = llhttp_get_error_pos(parser);
      result.consumed = pos != nullptr ? static_cast<size_t>(pos - data.data()) : data.size();
      result.code =
          err == HPE_PAUSED ? Http1Parser::Result::kPaused : Http1Parser::Result::kUpgrade;
      return result;
    }
    default:
      result.code = Http1Parser::Result::kError;
      result.consumed = data.size();
      if (reject_status != 0) {
        result.status_hint = reject_status;
        result.error = reject_reason;
      } else {
        result.error = absl::StrCat(llhttp_errno_name(err), ": ", llhttp_get_error_reason(parser));
      }
      return result;
  }
}

}  // namespace

Http1Parser::Result Http1Parser::Execute(absl::string_view data) {
  execute_begin_ = data.data();
  llhttp_errno_t err = llhttp_execute(&state_->parser, data.data(), data.size());
  if (!data.empty()) {
    // What llhttp took of `data` precedes the next call's first byte.
    const char* stop = err == HPE_OK ? nullptr : llhttp_get_error_pos(&state_->parser);
    size_t used = stop != nullptr ? static_cast<size_t>(stop - data.data()) : data.size();
    if (used > 0) byte_before_execute_ = data[used - 1];
  }
  return ToResult(&state_->parser, err, data, reject_status_, reject_reason_);
}

Http1Parser::Result Http1Parser::Finish() {
  llhttp_errno_t err = llhttp_finish(&state_->parser);
  return ToResult(&state_->parser, err, absl::string_view(), reject_status_, reject_reason_);
}

void Http1Parser::Resume() {
  if (llhttp_get_errno(&state_->parser) == HPE_PAUSED_UPGRADE) {
    llhttp_resume_after_upgrade(&state_->parser);
  } else {
    llhttp_resume(&state_->parser);
  }
}

int Http1Parser::status() const { return state_->parser.status_code; }
int Http1Parser::version_major() const { return state_->parser.http_major; }
int Http1Parser::version_minor() const { return state_->parser.http_minor; }
bool Http1Parser::chunked() const { return (state_->parser.flags & F_CHUNKED) != 0; }
bool Http1Parser::has_content_length() const {
  return (state_->parser.flags & F_CONTENT_LENGTH) != 0;
}
bool Http1Parser::upgrade() const { return state_->parser.upgrade != 0; }
bool Http1Parser::ShouldKeepAlive() const { return llhttp_should_keep_alive(&state_->parser); }

size_t BodyRoom(BodyFraming framing, uint64_t content_length) {
  constexpr uint64_t kMaxRoom = 16 * 1024;
  if (framing != BodyFraming::kContentLength) return 0;
  return static_cast<size_t>(std::min(content_length, kMaxRoom));
}

std::string EncodeChunk(absl::string_view data) {
  std::string out = absl::StrCat(absl::Hex(data.size()), "\r\n");
  out.append(data.data(), data.size());
  out += "\r\n";
  return out;
}

}  // namespace gatehouse::dataplane::http
