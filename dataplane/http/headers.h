// Request and response heads as the proxy sees them, whatever the HTTP version.
//
// Header names keep the case they arrived in and their order; lookups ignore case. Framing
// (Content-Length, Transfer-Encoding) is kept apart from the header list: each codec writes the
// framing its own protocol needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::http {

class HeaderMap {
 public:
  using Entry = std::pair<std::string, std::string>;

  void Add(absl::string_view name, absl::string_view value);
  // Adds a header with empty name and value and returns it, for a parser that fills it in as
  // its bytes arrive.
  Entry& AddEmpty();
  // Replaces every header `name` by one with `value`.
  void Set(absl::string_view name, absl::string_view value);
  // Removes every header `name`; returns how many were removed.
  size_t Remove(absl::string_view name);
  // The first value of `name`, or nullptr.
  const std::string* Get(absl::string_view name) const;
  bool Has(absl::string_view name) const { return Get(name) != nullptr; }
  // The value of the first non-empty cookie `name` in the Cookie headers, or nullopt.
  std::optional<absl::string_view> GetCookie(absl::string_view name) const;

  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& mutable_entries() { return entries_; }
  size_t size() const { return entries_.size(); }

  // The bytes the headers take in HTTP/1.1 ("Name: value" and CRLF each).
  size_t EncodedSize() const;
  // Appends the headers to `out` as HTTP/1.1 header lines (size `out` with EncodedSize() first).
  void AppendTo(std::string& out) const;

 private:
  // Most heads have fewer headers than this: room for them is made at once.
  // (15 entries stay under 1 KiB, which glibc's malloc serves from its per-thread cache.)
  static constexpr size_t kTypicalCount = 15;

  std::vector<Entry> entries_;
};

// How a message's body is delimited.
enum class BodyFraming {
  kNone,           // no body at all
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding
  kUntilClose,     // response body ending when the connection closes
};

struct RequestHead {
  std::string method;
  std::string target;     // the request-target as sent: origin-form with query, or absolute-form
  std::string authority;  // the Host header's value
  int version_major = 1;
  int version_minor = 1;
  HeaderMap headers;  // without framing headers
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  // The protocol the client asks to switch to (Upgrade, e.g. "websocket"); empty for none.
  // Connection and Upgrade are hop-by-hop: each codec writes them from this.
  std::string upgrade;

  // The path part of the target, without the query.
  absl::string_view Path() const;
};

struct ResponseHead {
  int status = 200;
  std::string reason;
  HeaderMap headers;  // without framing headers
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  // With status 101: the protocol switched to. The connection then carries that protocol's
  // bytes both ways, as the body of the request and of the response, until either side closes.
  std::string upgrade;
};

// Removes, in one pass, the framing headers each codec writes itself (Content-Length,
// Transfer-Encoding) and the hop-by-hop headers of RFC 9110 section 7.6.1 (Connection,
// Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade and those the Connection header lists).
// Returns whether the Connection header carried the "close" option. Connection cannot name Host:
// that is the request's authority, not a hop's.
bool RemoveFramingAndHopByHopHeaders(HeaderMap& headers);

// Removes from trailer fields, besides the hop-by-hop ones, every field RFC 9110 section 6.5.1
// keeps out of trailers because it routes, frames, authenticates or describes the message (Host,
// Content-Length, Authorization, Cookie, Content-Type, ...) and the forwarding fields the proxy
// writes itself (X-Forwarded-*, Forwarded, X-Real-IP): a peer must not slip past the proxy, in
// trailers, what it checks or sets in heads.
void RemoveDisallowedTrailers(HeaderMap& trailers);

// Whether `host` is what RFC 9110 section 7.2 allows in Host or :authority: uri-host (an IP
// literal in brackets, or a reg-name) with an optional port. No userinfo: "b.test:@evil.com",
// which URL parsers read as evil.com, is refused.
bool IsValidHost(absl::string_view host);

// The standard reason phrase of `status`, or "Unknown".
absl::string_view ReasonPhrase(int status);

}  // namespace gatehouse::dataplane::http
