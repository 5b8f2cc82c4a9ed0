// Credentials as Apache's htpasswd writes them (ingress-nginx's auth-secret, auth-secret-type
// auth-file: "user:hash" lines; auth-map: user to hash), and checking a password against them.
// Both processes use it: the control plane refuses what cannot be checked, or would cost too
// much per request, before it publishes; the data plane checks the passwords.
//
// Hashes: bcrypt ("$2y$", "$2b$", "$2a$", htpasswd -B), Apache's MD5 ("$apr1$", its default),
// SHA-1 ("{SHA}", htpasswd -s), and crypt(3)'s MD5, SHA-256 and SHA-512 ("$1$", "$5$", "$6$",
// htpasswd -2 and -5). The primitives are libxcrypt's crypt_r and OpenSSL's digests. Refused:
// crypt(3)'s DES (htpasswd -d: 8 characters of the password count) and plain text (-p).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gatehouse {

// The most costly hash a tenant may store: a bcrypt cost of 12 (about a quarter of a second),
// SHA-crypt rounds of 100,000. A hash above is refused: every wrong password would cost that.
inline constexpr int kMaxBcryptCost = 12;
inline constexpr int kMaxShaCryptRounds = 100000;
// The most users one secret may hold.
inline constexpr size_t kMaxHtpasswdUsers = 10000;

// Whether `hash` is one this file can check, at an allowed cost; why not otherwise.
absl::Status CheckPasswordHash(absl::string_view hash);

// Whether `password` matches `hash` (checked with CheckPasswordHash first; false otherwise).
// Compares in constant time.
bool VerifyPassword(absl::string_view hash, absl::string_view password);

class Htpasswd {
 public:
  struct Parsed;
  // htpasswd's file: "user:hash" per line; blank lines and lines starting with '#' are skipped.
  // A line that cannot be used is left out, with its reason in `errors` ("line N: ..."); of a
  // user's lines, the first counts, as in nginx.
  static Parsed ParseFile(absl::string_view text);
  // auth-map: user to hash.
  static Parsed FromMap(const std::map<std::string, std::string>& users);

  // Whether `user` is known and `password` is theirs.
  bool Verify(absl::string_view user, absl::string_view password) const;
  // The hash of `user`; null when unknown.
  const std::string* HashOf(absl::string_view user) const;
  size_t size() const { return hashes_.size(); }
  // Every user and hash, by user name.
  std::vector<std::pair<std::string, std::string>> SortedUsers() const;

 private:
  void Add(absl::string_view user, absl::string_view hash, const std::string& where,
           std::vector<std::string>* errors);

  absl::flat_hash_map<std::string, std::string> hashes_;
};

struct Htpasswd::Parsed {
  Htpasswd file;
  std::vector<std::string> errors;
};

}  // namespace gatehouse
