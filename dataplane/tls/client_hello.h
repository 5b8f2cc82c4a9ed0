// The server name a TLS ClientHello asks for (RFC 8446 section 4.1.2, RFC 6066 section 3), read
// from the bytes a client sends first, before any TLS library sees them: what SSL passthrough
// routes by, passing those same bytes on untouched.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::tls {

// A ClientHello larger than this (across its records, with their headers), or spread over more
// records than this, is not waited for.
inline constexpr size_t kMaxClientHelloBytes = 16 * 1024;
inline constexpr int kMaxClientHelloRecords = 16;

struct ClientHello {
  enum class State {
    kNeedMore,  // a prefix of a ClientHello: read more
    kComplete,  // the whole ClientHello is here
    kNotTls,    // not the start of a TLS connection, or a malformed or oversized ClientHello
  };
  State state = State::kNeedMore;
  std::string server_name;  // the host_name entry, lower case; empty when there is none
  // kNeedMore: nothing changes until this many bytes are in (the end of the record begun), so a
  // reader need not parse again before.
  size_t needed = 0;
};

// Reads the ClientHello at the start of `bytes`.
ClientHello ParseClientHello(absl::string_view bytes);

// The host_name entry of a server_name extension's body (`data`), lower case, into `name` (left
// empty when there is none); false when the body is malformed.
bool ReadServerNameExtension(absl::string_view data, std::string* name);

}  // namespace gatehouse::dataplane::tls
