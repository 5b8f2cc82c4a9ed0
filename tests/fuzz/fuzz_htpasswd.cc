// Fuzz target: a tenant's htpasswd file (a Secret's "auth" key) into Htpasswd::ParseFile. Every
// user kept has a hash CheckPasswordHash accepts; no more users are kept than the file has lines;
// and the cheap hashes ({SHA}, $apr1$) are checked against a password from the input, which must
// never match a hash it was not made for by accident of parsing (a hash that is not one).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/htpasswd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  gatehouse::Htpasswd::Parsed parsed = gatehouse::Htpasswd::ParseFile(text);
  size_t lines = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) lines += line.empty() ? 0 : 1;
  if (parsed.file.size() > lines) abort();
  auto users = parsed.file.SortedUsers();
  if (users.size() != parsed.file.size()) abort();
  for (const auto& [user, hash] : users) {
    if (!gatehouse::CheckPasswordHash(hash).ok()) abort();
    if (parsed.file.HashOf(user) == nullptr) abort();
    // Only the hashes that cost microseconds: bcrypt and SHA-crypt would slow the fuzzer.
    if (absl::StartsWith(hash, "{SHA}") || absl::StartsWith(hash, "$apr1$")) {
      gatehouse::VerifyPassword(hash, text.substr(0, 64));
    }
  }
  return 0;
}
