#include "dataplane/tls/client_hello.h"

#include <cstdint>

#include "absl/strings/ascii.h"

namespace gatehouse::dataplane::tls {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHelloType = 1;
constexpr uint16_t kServerNameExtension = 0;
constexpr uint8_t kHostName = 0;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecord = 16384;  // a plaintext record's largest fragment

// Reads big-endian fields from a byte string; once a read runs past the end, every later one
// fails too.
class Reader {
 public:
  explicit Reader(absl::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  size_t left() const { return bytes_.size(); }
  uint32_t Number(int width) {
    if (!ok_ || bytes_.size() < static_cast<size_t>(width)) {
      ok_ = false;
      return 0;
    }
    uint32_t value = 0;
    for (int i = 0; i < width; ++i) value = value << 8 | static_cast<uint8_t>(bytes_[i]);
    bytes_.remove_prefix(width);
    return value;
  }
  absl::string_view Take(size_t size) {
    if (!ok_ || bytes_.size() < size) {
      ok_ = false;
      return "";
    }
    absl::string_view out = bytes_.substr(0, size);
    bytes_.remove_prefix(size);
    return out;
  }
  // A vector with a `width`-byte length prefix.
  absl::string_view Vector(int width) { return Take(Number(width)); }

 private:
  absl::string_view bytes_;
  bool ok_ = true;
};

}  // namespace

bool ReadServerNameExtension(absl::string_view data, std::string* name) {
  Reader extension(data);
  Reader list(extension.Vector(2));
  while (list.ok() && list.left() > 0) {
    uint32_t type = list.Number(1);
    absl::string_view value = list.Vector(2);
    if (list.ok() && type == kHostName) {
      *name = absl::AsciiStrToLower(value);
      return true;
    }
  }
  return list.ok() && extension.ok();
}

ClientHello ParseClientHello(absl::string_view bytes) {
  ClientHello out;
  auto not_tls = [&out] {
    out.state = ClientHello::State::kNotTls;
    out.server_name.clear();
    return out;
  };
  // The handshake message may span several records: gather their fragments.
  std::string handshake;
  size_t needed = 0;  // the whole message's size once its header is in, else 0
  Reader records(bytes);
  int count = 0;
  auto need_more = [&out](size_t until) {
    out.needed = until;
    return out;
  };
  while (needed == 0 || handshake.size() < needed) {
    size_t start = bytes.size() - records.left();
    if (start >= kMaxClientHelloBytes) return not_tls();
    if (records.left() == 0) return need_more(start + kRecordHeader);
    if (++count > kMaxClientHelloRecords) return not_tls();
    if (records.Number(1) != kHandshakeRecord) return not_tls();
    if (records.left() < kRecordHeader - 1) return need_more(start + kRecordHeader);
    uint32_t major = records.Number(1);
    records.Number(1);  // the minor version: any (clients send 1.0 and 1.2 here)
    uint32_t length = records.Number(2);
    if (major != 3 || length == 0 || length > kMaxRecord) return not_tls();
    if (records.left() < length) return need_more(start + kRecordHeader + length);
    absl::string_view fragment = records.Take(length);
    handshake.append(fragment.data(), fragment.size());
    if (needed == 0 && handshake.size() >= 4) {
      if (static_cast<uint8_t>(handshake[0]) != kClientHelloType) return not_tls();
      needed = 4 + (static_cast<uint32_t>(static_cast<uint8_t>(handshake[1])) << 16 |
                    static_cast<uint32_t>(static_cast<uint8_t>(handshake[2])) << 8 |
                    static_cast<uint8_t>(handshake[3]));
      if (needed > kMaxClientHelloBytes) return not_tls();
    }
  }
  Reader hello(absl::string_view(handshake).substr(4, needed - 4));
  hello.Number(2);  // legacy_version
  hello.Take(32);   // random
  hello.Vector(1);  // legacy_session_id
  hello.Vector(2);  // cipher_suites
  hello.Vector(1);  // legacy_compression_methods
  if (!hello.ok()) return not_tls();
  out.state = ClientHello::State::kComplete;
  if (hello.left() == 0) return out;  // no extensions (an old client)
  Reader extensions(hello.Vector(2));
  while (extensions.ok() && extensions.left() > 0) {
    uint32_t type = extensions.Number(2);
    absl::string_view data = extensions.Vector(2);
    if (extensions.ok() && type == kServerNameExtension) {
      if (!ReadServerNameExtension(data, &out.server_name)) return not_tls();
      break;
    }
  }
  if (!extensions.ok() || !hello.ok()) return not_tls();
  return out;
}

}  // namespace gatehouse::dataplane::tls
