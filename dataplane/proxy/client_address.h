// Which client a request comes from when proxies stand in front of the data plane: ingress-nginx's
// use-forwarded-headers, proxy-real-ip-cidr and compute-full-forwarded-for (nginx's realip module
// with real_ip_recursive on, and its $pass_access_scheme and $pass_port).
#pragma once

#include "common/cidr.h"
#include "dataplane/filters/filter.h"
#include "dataplane/http/headers.h"

namespace gatehouse::dataplane::proxy {

struct ForwardedHeadersSettings {
  bool use_forwarded_headers = false;
  // The peers whose X-Forwarded-* headers count; ingress-nginx's default is every address.
  CidrSet trusted = CidrSet::Any();
  bool compute_full_forwarded_for = false;
};

// With use_forwarded_headers and a trusted peer, `info` takes what the proxies say: the client is
// the last X-Forwarded-For address that is not itself trusted (when all are, the first); a
// scheme of "http" or "https" comes from X-Forwarded-Proto and a port from X-Forwarded-Port.
// An X-Forwarded-For entry that is not an address leaves the peer as the client, as nginx does.
// Either way `info->client_address` is the client parsed.
void ApplyForwardedHeaders(const ForwardedHeadersSettings& settings, const http::HeaderMap& headers,
                           filters::DownstreamInfo* info);

}  // namespace gatehouse::dataplane::proxy
