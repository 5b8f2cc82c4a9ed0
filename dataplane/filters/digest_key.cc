#include "dataplane/filters/digest_key.h"

#include <openssl/evp.h>

#include <memory>

namespace gatehouse::dataplane::filters {

DigestKey DigestOf(std::initializer_list<absl::string_view> pieces) {
  DigestKey key{};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (absl::string_view piece : pieces) {
    uint64_t size = piece.size();
    EVP_DigestUpdate(ctx.get(), &size, sizeof(size));
    EVP_DigestUpdate(ctx.get(), piece.data(), piece.size());
  }
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), key.data(), &size);
  return key;
}

}  // namespace gatehouse::dataplane::filters
