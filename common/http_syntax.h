// RFC 9110 grammar checks both processes apply to strings that reach the wire: the control plane
// before it publishes (or, for its own flags, at start), the data plane when it builds a config.
#pragma once

#include "absl/strings/string_view.h"

namespace gatehouse {

// Whether `value` is a field value RFC 9110 section 5.5 allows a sender to write: visible ASCII,
// obs-text, spaces and tabs, neither leading nor trailing whitespace; never CR, LF or NUL.
bool IsFieldValue(absl::string_view value);

// Whether `text` may stand between the quotes of a quoted-string without escapes (RFC 9110
// section 5.6.4's qdtext: tabs, spaces, visible ASCII but '"' and '\\', and obs-text), as an
// auth realm does; at most `max_size` bytes.
bool IsQuotedStringText(absl::string_view text, size_t max_size);

// Whether `target` is an origin-form request-target a proxy may send as it is: '/' first, then
// no space, control character or DEL (a URI's bytes; percent-encoding stands for the rest).
bool IsOriginFormTarget(absl::string_view target);

// Whether `text` is a token (RFC 9110 section 5.6.2), as field names and methods are.
bool IsToken(absl::string_view text);

// Whether a field may reach the wire at all, whatever its origin (a client, an upstream, a
// tenant's annotation): a token name, and a value without CR, LF or NUL, which would end the
// field early and let its text become another field or another message (RFC 9110 section 5.5,
// RFC 9113 section 8.2.1). Both HTTP encoders leave out any field that is not.
bool IsWritableField(absl::string_view name, absl::string_view value);

// Whether a tenant may set, add or remove the header `name` (a token): never a framing or
// hop-by-hop header (Content-Length, Transfer-Encoding, Connection, Keep-Alive,
// Proxy-Connection, TE, Trailer, Upgrade), nor Host, which have settings of their own.
bool IsEditableHeaderName(absl::string_view name);
// The most header edits (set, add and remove together) one modifier may hold.
inline constexpr int kMaxHeaderEdits = 32;

// Whether `url` is an absolute http:// or https:// URL with something after the scheme and no
// space or control character: a Location a tenant may name (an error page).
bool IsAbsoluteHttpUrl(absl::string_view url);

// Whether `authority` is "host" or "host:port" with a DNS name or IPv4 host.
bool IsHostAndPort(absl::string_view authority);

// Whether `name` is a DNS name (a host a client may send as SNI or Host, a redirect target):
// dot-separated labels of letters, digits and '-', none empty, none starting or ending with
// '-', at most 63 characters each and 253 in all.
bool IsDnsName(absl::string_view name);

}  // namespace gatehouse
