#include "dataplane/http/headers.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"

namespace gatehouse::dataplane::http {

void HeaderMap::Add(absl::string_view name, absl::string_view value) {
  if (entries_.capacity() == 0) entries_.reserve(kTypicalCount);
  entries_.emplace_back(std::string(name), std::string(value));
}

HeaderMap::Entry& HeaderMap::AddEmpty() {
  if (entries_.capacity() == 0) entries_.reserve(kTypicalCount);
  return entries_.emplace_back();
}

size_t HeaderMap::EncodedSize() const {
  size_t size = 0;
  for (const Entry& entry : entries_) size += entry.first.size() + entry.second.size() + 4;
  return size;
}

void HeaderMap::AppendTo(std::string& out) const {
  for (const Entry& entry : entries_) {
    if (!IsWritableField(entry.first, entry.second)) continue;
    out.append(entry.first).append(": ", 2).append(entry.second).append("\r\n", 2);
  }
}

void HeaderMap::Set(absl::string_view name, absl::string_view value) {
  Remove(name);
  Add(name, value);
}

size_t HeaderMap::Remove(absl::string_view name) {
  auto end = std::remove_if(entries_.begin(), entries_.end(), [name](const Entry& entry) {
    return absl::EqualsIgnoreCase(entry.first, name);
  });
  size_t removed = static_cast<size_t>(entries_.end() - end);
  entries_.erase(end, entries_.end());
  return removed;
}

const std::string* HeaderMap::Get(absl::string_view name) const {
  for (const Entry& entry : entries_) {
    if (absl::EqualsIgnoreCase(entry.first, name)) return &entry.second;
  }
  return nullptr;
}

std::optional<absl::string_view> HeaderMap::GetCookie(absl::string_view name) const {
  for (const Entry& entry : entries_) {
    if (!absl::EqualsIgnoreCase(entry.first, "cookie")) continue;
    for (absl::string_view pair : absl::StrSplit(entry.second, ';')) {
      pair = absl::StripAsciiWhitespace(pair);
      if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=") && !pair.empty()) {
        return pair;
      }
    }
  }
  return std::nullopt;
}

absl::string_view RequestHead::Path() const {
  absl::string_view path = target;
  if (size_t q = path.find('?'); q != absl::string_view::npos) path = path.substr(0, q);
  return path;
}

namespace {

// Whether `name` is a framing or hop-by-hop header whatever Connection says. Runs for every
// header of every request and response: the length rules out most names before any compare.
bool AlwaysHopByHop(absl::string_view name) {
  switch (name.size()) {
    case 2:
      return absl::EqualsIgnoreCase(name, "te");
    case 7:
      return absl::EqualsIgnoreCase(name, "trailer") || absl::EqualsIgnoreCase(name, "upgrade");
    case 10:
      return absl::EqualsIgnoreCase(name, "connection") ||
             absl::EqualsIgnoreCase(name, "keep-alive");
    case 14:
      return absl::EqualsIgnoreCase(name, "content-length");
    case 16:
      return absl::EqualsIgnoreCase(name, "proxy-connection");
    case 17:
      return absl::EqualsIgnoreCase(name, "transfer-encoding");
    default:
      return false;
  }
}

}  // namespace

bool RemoveFramingAndHopByHopHeaders(HeaderMap& headers) {
  bool close = false;
  // Headers the Connection header names, besides those always removed; usually none.
  absl::InlinedVector<std::string, 2> listed;
  for (const HeaderMap::Entry& entry : headers.entries()) {
    if (entry.first.size() != 10 || !absl::EqualsIgnoreCase(entry.first, "connection")) continue;
    for (absl::string_view option : absl::StrSplit(entry.second, ',')) {
      option = absl::StripAsciiWhitespace(option);
      if (absl::EqualsIgnoreCase(option, "close")) close = true;
      // ("close" too: RFC 9110 section 7.6.1 keeps that name from ever being a header's.)
      if (!option.empty() && !AlwaysHopByHop(option) && !absl::EqualsIgnoreCase(option, "host")) {
        listed.emplace_back(option);
      }
    }
  }
  auto drop = [&listed](const HeaderMap::Entry& entry) {
    if (AlwaysHopByHop(entry.first)) return true;
    for (const std::string& name : listed) {
      if (absl::EqualsIgnoreCase(entry.first, name)) return true;
    }
    return false;
  };
  std::vector<HeaderMap::Entry>& entries = headers.mutable_entries();
  entries.erase(std::remove_if(entries.begin(), entries.end(), drop), entries.end());
  return close;
}

namespace {

// Fields that must not arrive as trailers (see RemoveDisallowedTrailers), lowercase.
constexpr absl::string_view kNotInTrailers[] = {
    "host",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "content-type",
    "content-encoding",
    "content-range",
    "content-length",
    "expect",
    "range",
    "max-forwards",
    "cache-control",
    "forwarded",
    "x-real-ip",
    "www-authenticate",
    "location",
    "proxy-authenticate",
};

bool NotInTrailers(absl::string_view name) {
  if (absl::StartsWithIgnoreCase(name, "x-forwarded-") || absl::StartsWithIgnoreCase(name, "if-")) {
    return true;
  }
  for (absl::string_view banned : kNotInTrailers) {
    if (absl::EqualsIgnoreCase(name, banned)) return true;
  }
  return false;
}

}  // namespace

void RemoveDisallowedTrailers(HeaderMap& trailers) {
  RemoveFramingAndHopByHopHeaders(trailers);
  std::vector<HeaderMap::Entry>& entries = trailers.mutable_entries();
  entries.erase(
      std::remove_if(entries.begin(), entries.end(),
                     [](const HeaderMap::Entry& entry) { return NotInTrailers(entry.first); }),
      entries.end());
}

// RFC 9110 section 7.2: uri-host [ ":" port ], uri-host an IP literal in brackets or a reg-name.
bool IsValidHost(absl::string_view host) {
  if (host.empty()) return false;
  absl::string_view name = host;
  absl::string_view port;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == absl::string_view::npos || close == 1) return false;
    for (char c : host.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return false;
      }
    }
    absl::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else {
    size_t colon = host.find(':');
    if (colon != absl::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon + 1);
    }
    if (name.empty()) return false;
    for (char c : name) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
          absl::string_view("-._~%!$&'()*+,;=").find(c) == absl::string_view::npos) {
        return false;
      }
    }
  }
  if (port.size() > 5) return false;
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace gatehouse::dataplane::http
