// The SHA-256 of a sequence of strings, each with its length first, so that no two sequences
// digest the same bytes: the keys of the worker caches (PasswordCache, AuthAnswerCache), which
// never keep the strings themselves.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::filters {

using DigestKey = std::array<unsigned char, 32>;

DigestKey DigestOf(std::initializer_list<absl::string_view> pieces);

// The slot of `key` in a table of `slots`: the digest's first bytes, uniform already.
inline size_t SlotOf(const DigestKey& key, size_t slots) {
  uint64_t bits = 0;
  std::memcpy(&bits, key.data(), sizeof(bits));
  return bits % slots;
}

}  // namespace gatehouse::dataplane::filters
