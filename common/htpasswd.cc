#include "common/htpasswd.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace gatehouse {
namespace {

constexpr absl::string_view kItoa64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// One digest of the concatenated pieces.
std::string Digest(const EVP_MD* md, std::initializer_list<absl::string_view> pieces) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  for (absl::string_view piece : pieces) EVP_DigestUpdate(ctx.get(), piece.data(), piece.size());
  EVP_DigestFinal_ex(ctx.get(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// Apache's "$apr1$" hash: the MD5-crypt algorithm (Poul-Henning Kamp's, as apr_md5.c has it)
// with its own magic, which crypt(3) does not know; the digests are OpenSSL's.
std::string Apr1(absl::string_view password, absl::string_view salt) {
  constexpr absl::string_view kMagic = "$apr1$";
  const EVP_MD* md5 = EVP_md5();
  std::string alternate = Digest(md5, {password, salt, password});
  std::string first = absl::StrCat(password, kMagic, salt);
  for (size_t left = password.size(); left > 0; left -= std::min<size_t>(left, 16)) {
    first.append(alternate, 0, std::min<size_t>(left, 16));
  }
  for (size_t bits = password.size(); bits > 0; bits >>= 1) {
    first.push_back((bits & 1) ? '\0' : (password.empty() ? '\0' : password[0]));
  }
  std::string final = Digest(md5, {first});
  for (int i = 0; i < 1000; ++i) {
    absl::string_view last = final;
    final = Digest(md5, {(i & 1) ? password : last, (i % 3) ? salt : absl::string_view(),
                         (i % 7) ? password : absl::string_view(), (i & 1) ? last : password});
  }
  const auto* f = reinterpret_cast<const unsigned char*>(final.data());
  std::string out = absl::StrCat(kMagic, salt, "$");
  auto to64 = [&out](unsigned long value, int count) {
    while (count-- > 0) {
      out.push_back(kItoa64[value & 0x3f]);
      value >>= 6;
    }
  };
  const int order[5][3] = {{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}};
  for (const auto& o : order) {
    to64((static_cast<unsigned long>(f[o[0]]) << 16) | (f[o[1]] << 8) | f[o[2]], 4);
  }
  to64(f[11], 2);
  return out;
}

// crypt(3) through libxcrypt, with a buffer per thread (crypt_data is about 32 KiB).
std::string Crypt(absl::string_view password, absl::string_view setting) {
  thread_local std::unique_ptr<crypt_data> data(new crypt_data());
  std::string key(password);
  std::string salt(setting);
  if (key.find('\0') != std::string::npos) return "";
  const char* out = crypt_r(key.c_str(), salt.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return "";  // crypt_r's failure token
  return out;
}

}  // namespace

absl::Status CheckPasswordHash(absl::string_view hash) {
  auto refuse = [](absl::string_view why) { return absl::InvalidArgumentError(why); };
  if (absl::StartsWith(hash, "{SHA}")) {
    std::string digest;
    if (!absl::Base64Unescape(hash.substr(5), &digest) || digest.size() != 20) {
      return refuse("a {SHA} hash that is not 20 bytes of base64");
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(hash, "$apr1$")) {
    absl::string_view rest = hash.substr(6);
    size_t dollar = rest.find('$');
    if (dollar == absl::string_view::npos || dollar > 8 || rest.size() - dollar - 1 != 22) {
      return refuse("an $apr1$ hash that is not salt$22 characters");
    }
    return absl::OkStatus();
  }
  for (absl::string_view prefix : {"$2y$", "$2b$", "$2a$"}) {
    if (!absl::StartsWith(hash, prefix)) continue;
    int cost = 0;
    if (hash.size() != 60 || hash[6] != '$' || !absl::SimpleAtoi(hash.substr(4, 2), &cost) ||
        cost < 4) {
      return refuse("a bcrypt hash that is not 60 characters with a cost of 04 to 31");
    }
    if (cost > kMaxBcryptCost) {
      return refuse(absl::StrCat("a bcrypt cost of ", cost, ", above ", kMaxBcryptCost,
                                 ": every wrong password would cost too much"));
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(hash, "$1$")) return absl::OkStatus();
  if (absl::StartsWith(hash, "$5$") || absl::StartsWith(hash, "$6$")) {
    absl::string_view rest = hash.substr(3);
    if (absl::ConsumePrefix(&rest, "rounds=")) {
      int rounds = 0;
      if (!absl::SimpleAtoi(rest.substr(0, rest.find('$')), &rounds) ||
          rounds > kMaxShaCryptRounds) {
        return refuse(absl::StrCat("SHA-crypt rounds above ", kMaxShaCryptRounds,
                                   ": every wrong password would cost too much"));
      }
    }
    return absl::OkStatus();
  }
  if (hash.size() == 13 && !absl::StrContains(hash, '$')) {
    return refuse(
        "a crypt(3) DES hash (htpasswd -d), of which only 8 characters of a password "
        "count; use bcrypt (htpasswd -B)");
  }
  return refuse(
      "not a hash htpasswd makes (bcrypt, $apr1$, {SHA}, $1$, $5$, $6$): a plain-text "
      "password is refused");
}

bool VerifyPassword(absl::string_view hash, absl::string_view password) {
  if (!CheckPasswordHash(hash).ok()) return false;
  if (absl::StartsWith(hash, "{SHA}")) {
    return ConstantTimeEquals(
        absl::StrCat("{SHA}", absl::Base64Escape(Digest(EVP_sha1(), {password}))), hash);
  }
  if (absl::StartsWith(hash, "$apr1$")) {
    absl::string_view rest = hash.substr(6);
    return ConstantTimeEquals(Apr1(password, rest.substr(0, rest.find('$'))), hash);
  }
  std::string computed = Crypt(password, hash);
  return !computed.empty() && ConstantTimeEquals(computed, hash);
}

Htpasswd::Parsed Htpasswd::ParseFile(absl::string_view text) {
  Parsed parsed;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      parsed.errors.push_back(absl::StrCat("line ", number, ": not user:hash"));
      continue;
    }
    parsed.file.Add(line.substr(0, colon), line.substr(colon + 1), absl::StrCat("line ", number),
                    &parsed.errors);
  }
  return parsed;
}

Htpasswd::Parsed Htpasswd::FromMap(const std::map<std::string, std::string>& users) {
  Parsed parsed;
  for (const auto& [user, hash] : users) {
    parsed.file.Add(user, absl::StripAsciiWhitespace(hash),
                    absl::StrCat("user ", QuoteForMessage(user)), &parsed.errors);
  }
  return parsed;
}

void Htpasswd::Add(absl::string_view user, absl::string_view hash, const std::string& where,
                   std::vector<std::string>* errors) {
  if (hashes_.size() >= kMaxHtpasswdUsers) {
    errors->push_back(absl::StrCat(where, ": more than ", kMaxHtpasswdUsers, " users"));
    return;
  }
  if (absl::Status valid = CheckPasswordHash(hash); !valid.ok()) {
    errors->push_back(absl::StrCat(where, ": ", valid.message()));
    return;
  }
  // The first line of a user counts, as nginx reads the file top down.
  if (!hashes_.emplace(std::string(user), std::string(hash)).second) {
    errors->push_back(
        absl::StrCat(where, ": user ", QuoteForMessage(user), " again; the first line counts"));
  }
}

bool Htpasswd::Verify(absl::string_view user, absl::string_view password) const {
  const std::string* hash = HashOf(user);
  return hash != nullptr && VerifyPassword(*hash, password);
}

std::vector<std::pair<std::string, std::string>> Htpasswd::SortedUsers() const {
  std::vector<std::pair<std::string, std::string>> users(hashes_.begin(), hashes_.end());
  std::sort(users.begin(), users.end());
  return users;
}

const std::string* Htpasswd::HashOf(absl::string_view user) const {
  auto it = hashes_.find(user);
  return it == hashes_.end() ? nullptr : &it->second;
}

}  // namespace gatehouse
