// auth-type basic as a route's BasicAuth filter: the users and hashes of the Secret the
// annotations name, read from the Ingress's own namespace and checked as the data plane checks
// them (common/htpasswd), so what is published compiles there.
#pragma once

#include <string>
#include <vector>

#include "controlplane/objects/object_store.h"
#include "controlplane/translate/annotations.h"
#include "gatehouse/v1/filters.pb.h"

namespace gatehouse::controlplane::translate {

// The most users times paths one Ingress's basic auth may publish: each path's filter carries
// the users, so a large Secret on many paths would make every data plane's routes that large.
inline constexpr size_t kMaxBasicAuthUserCopies = 50000;

// The filter of the paths of an Ingress whose annotations are `auth`. Credentials that cannot be
// read at all (a refused annotation, a missing Secret or key) give a filter that denies every
// request (503); entries that cannot be used (a DES hash, a plain-text password, a bad line) are
// left out. The filter goes on each of the Ingress's `paths`: past kMaxBasicAuthUserCopies users
// times paths, it denies too. Each problem is appended to `problems`.
gatehouse::v1::BasicAuth BasicAuthFor(const BasicAuthAnnotations& auth, size_t paths,
                                      const objects::ObjectStore& world,
                                      std::vector<std::string>* problems);

}  // namespace gatehouse::controlplane::translate
