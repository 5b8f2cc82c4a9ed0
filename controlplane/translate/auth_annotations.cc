// The authentication annotations, read as ingress-nginx reads them (its annotations
// documentation, "Authentication", and internal/ingress/annotations/auth: auth-type must be
// basic or digest, and without it no authentication applies; auth-secret is required with it;
// auth-secret-type is auth-file, the default, or auth-map; any error denies the location, which
// then answers 503). Digest authentication is refused here: its MD5 challenge is obsolete.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "controlplane/translate/annotations.h"

namespace gatehouse::controlplane::translate {
namespace {

// As the data plane's BasicAuth filter takes it.
constexpr size_t kMaxRealmBytes = 256;

}  // namespace

void ParseAuthAnnotations(const objects::kube::Ingress& ingress, ParsedAnnotations* parsed) {
  AnnotationValue type = LookupAnnotation(ingress, kAuthTypeAnnotation);
  AnnotationValue secret = LookupAnnotation(ingress, kAuthSecretAnnotation);
  if (type.value == nullptr) {
    if (secret.value != nullptr) {
      parsed->errors.push_back(absl::StrCat(
          "annotation ", secret.key,
          ": no auth-type is set, so no authentication applies (as in ingress-nginx); set "
          "auth-type: basic"));
    }
    return;
  }
  BasicAuthAnnotations& auth = parsed->values.access.basic_auth.emplace();
  auto refuse = [&](std::string why) {
    auth.refused = absl::StrCat(why, "; every request gets 503 until it is mended");
    parsed->errors.push_back(auth.refused);
  };
  std::string kind = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*type.value));
  if (kind == "digest") {
    return refuse(absl::StrCat("annotation ", type.key,
                               ": digest authentication is not supported (its MD5 challenge is "
                               "obsolete); use basic over HTTPS"));
  }
  if (kind != "basic") {
    return refuse(absl::StrCat("annotation ", type.key, ": ", QuoteForMessage(*type.value),
                               " is not basic or digest"));
  }
  if (AnnotationValue realm = LookupAnnotation(ingress, kAuthRealmAnnotation);
      realm.value != nullptr) {
    if (IsQuotedStringText(*realm.value, kMaxRealmBytes)) {
      auth.realm = *realm.value;
    } else {
      parsed->errors.push_back(
          absl::StrCat("annotation ", realm.key, ": ", QuoteForMessage(*realm.value),
                       " holds a quote, a backslash or a control character, or is over ",
                       kMaxRealmBytes, " bytes; the realm is empty"));
    }
  }
  if (AnnotationValue form = LookupAnnotation(ingress, kAuthSecretTypeAnnotation);
      form.value != nullptr) {
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*form.value));
    if (value == "auth-map") {
      auth.auth_map = true;
    } else if (value != "auth-file") {
      return refuse(absl::StrCat("annotation ", form.key, ": ", QuoteForMessage(*form.value),
                                 " is not auth-file or auth-map"));
    }
  }
  if (secret.value == nullptr) {
    return refuse(absl::StrCat("annotation ", type.key, ": basic needs auth-secret"));
  }
  std::optional<std::string> name =
      SecretInNamespace(*secret.value, ingress.metadata().namespace_());
  if (!name.has_value()) {
    return refuse(absl::StrCat("annotation ", secret.key, ": ", QuoteForMessage(*secret.value),
                               " is not a Secret name in the Ingress's namespace; only that "
                               "namespace's Secrets are read"));
  }
  auth.secret = *std::move(name);
}

}  // namespace gatehouse::controlplane::translate
