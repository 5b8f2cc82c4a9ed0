#include "controlplane/translate/basic_auth.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/htpasswd.h"

namespace gatehouse::controlplane::translate {

gatehouse::v1::BasicAuth BasicAuthFor(const BasicAuthAnnotations& auth, size_t paths,
                                      const objects::ObjectStore& world,
                                      std::vector<std::string>* problems) {
  gatehouse::v1::BasicAuth out;
  out.set_realm(auth.realm);
  if (!auth.refused.empty()) {
    // Already reported with the annotations.
    out.set_deny(true);
    return out;
  }
  std::pair<std::string, std::string> parts = absl::StrSplit(auth.secret, '/');
  auto secret = world.secrets().find(objects::NamespacedName{parts.first, parts.second});
  if (secret == world.secrets().end()) {
    problems->push_back(absl::StrCat("auth-secret: Secret ", auth.secret,
                                     " does not exist; every request gets 503 until it does"));
    out.set_deny(true);
    return out;
  }
  const auto& data = secret->second.data();
  Htpasswd::Parsed parsed;
  if (auth.auth_map) {
    parsed = Htpasswd::FromMap(std::map<std::string, std::string>(data.begin(), data.end()));
  } else {
    auto file = data.find("auth");
    if (file == data.end()) {
      problems->push_back(absl::StrCat("auth-secret: Secret ", auth.secret,
                                       " has no key \"auth\" (auth-secret-type auth-file); every "
                                       "request gets 503 until it does"));
      out.set_deny(true);
      return out;
    }
    parsed = Htpasswd::ParseFile(file->second);
  }
  for (const std::string& error : parsed.errors) {
    problems->push_back(
        absl::StrCat("auth-secret: Secret ", auth.secret, ": ", error, "; left out"));
  }
  if (parsed.file.size() == 0) {
    problems->push_back(absl::StrCat("auth-secret: Secret ", auth.secret,
                                     " holds no usable user; every request gets 401"));
  }
  // Each path carries the users: their copies are bounded, whatever the Secret holds.
  if (parsed.file.size() * paths > kMaxBasicAuthUserCopies) {
    problems->push_back(
        absl::StrCat("auth-secret: ", parsed.file.size(), " users on ", paths,
                     " paths are more than ", kMaxBasicAuthUserCopies,
                     " copies; every request gets 503 until the Secret or the Ingress is smaller"));
    out.set_deny(true);
    return out;
  }
  for (auto& [name, hash] : parsed.file.SortedUsers()) {
    gatehouse::v1::BasicAuth::User* user = out.add_users();
    user->set_name(std::move(name));
    user->set_hash(std::move(hash));
  }
  return out;
}

}  // namespace gatehouse::controlplane::translate
