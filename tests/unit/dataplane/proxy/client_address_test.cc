// The client behind trusted proxies, as ingress-nginx finds it with use-forwarded-headers (nginx's
// realip module: real_ip_header X-Forwarded-For, real_ip_recursive on, set_real_ip_from each
// proxy-real-ip-cidr range; X-Forwarded-Proto and -Port passed as $pass_access_scheme and
// $pass_port).
#include "dataplane/proxy/client_address.h"

#include "gtest/gtest.h"

namespace gatehouse::dataplane::proxy {
namespace {

filters::DownstreamInfo Peer(const char* peer) {
  filters::DownstreamInfo info;
  info.scheme = "http";
  info.local_port = 80;
  info.client_ip = peer;
  return info;
}

filters::DownstreamInfo Apply(const ForwardedHeadersSettings& settings, const char* peer,
                              std::vector<std::pair<const char*, const char*>> headers) {
  http::HeaderMap map;
  for (const auto& [name, value] : headers) map.Add(name, value);
  filters::DownstreamInfo info = Peer(peer);
  ApplyForwardedHeaders(settings, map, &info);
  return info;
}

TEST(ClientAddressTest, OffOrUntrustedPeersChangeNothing) {
  ForwardedHeadersSettings settings;
  filters::DownstreamInfo info = Apply(settings, "10.0.0.5", {{"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_EQ(info.client_ip, "10.0.0.5");
  EXPECT_FALSE(info.forwarded);
  settings.use_forwarded_headers = true;
  settings.trusted = *CidrSet::Parse("10.0.0.0/8");
  info = Apply(settings, "192.0.2.1",
               {{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(info.client_ip, "192.0.2.1");
  EXPECT_EQ(info.scheme, "http");
  EXPECT_FALSE(info.forwarded);
}

// With use-proxy-protocol, ingress-nginx sets real_ip_header proxy_protocol: the client is the
// one the PROXY header named, whatever X-Forwarded-For says; X-Forwarded-Proto still counts.
TEST(ClientAddressTest, AfterAProxyHeaderForwardedForNeverNamesTheClient) {
  ForwardedHeadersSettings settings;
  settings.use_forwarded_headers = true;  // every peer trusted, the default
  http::HeaderMap map;
  map.Add("X-Forwarded-For", "10.6.6.6");
  map.Add("X-Forwarded-Proto", "https");
  filters::DownstreamInfo info = Peer("203.0.113.9");
  info.proxy_protocol = true;
  ApplyForwardedHeaders(settings, map, &info);
  EXPECT_EQ(info.client_ip, "203.0.113.9");
  EXPECT_EQ(info.scheme, "https");
}

// The parsed address the range checks use is always the client chosen.
TEST(ClientAddressTest, TheParsedAddressFollowsTheClientChosen) {
  ForwardedHeadersSettings settings;
  CidrSet documentation = *CidrSet::Parse("203.0.113.0/24");
  filters::DownstreamInfo info = Apply(settings, "10.0.0.5", {{"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_TRUE(info.client_address.valid);
  EXPECT_FALSE(documentation.Contains(info.client_address));
  settings.use_forwarded_headers = true;
  info = Apply(settings, "10.0.0.5", {{"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_TRUE(documentation.Contains(info.client_address));
  info = Apply(settings, "not-an-address", {});
  EXPECT_FALSE(info.client_address.valid);
}

TEST(ClientAddressTest, TheClientIsTheLastAddressNotTrusted) {
  ForwardedHeadersSettings settings;
  settings.use_forwarded_headers = true;
  settings.trusted = *CidrSet::Parse("10.0.0.0/8");
  // A client's own entry on the left does not fool the walk from the right.
  filters::DownstreamInfo info =
      Apply(settings, "10.0.0.5",
            {{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}, {"x-forwarded-for", "10.1.1.1"}});
  EXPECT_EQ(info.client_ip, "203.0.113.9");
  EXPECT_TRUE(info.forwarded);
  EXPECT_EQ(info.peer_ip, "10.0.0.5");
  // Every entry trusted: the first.
  EXPECT_EQ(Apply(settings, "10.0.0.5", {{"X-Forwarded-For", "10.9.9.9, 10.1.1.1"}}).client_ip,
            "10.9.9.9");
  // No header: the peer. A broken entry: the peer, as nginx declines a list it cannot read.
  EXPECT_EQ(Apply(settings, "10.0.0.5", {}).client_ip, "10.0.0.5");
  EXPECT_EQ(Apply(settings, "10.0.0.5", {{"X-Forwarded-For", "203.0.113.9, unknown"}}).client_ip,
            "10.0.0.5");
  // The default trusts every address, as ingress-nginx's 0.0.0.0/0: the first entry wins.
  ForwardedHeadersSettings open;
  open.use_forwarded_headers = true;
  EXPECT_EQ(Apply(open, "127.0.0.1", {{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}}).client_ip,
            "198.51.100.1");
}

TEST(ClientAddressTest, SchemeAndPortComeFromTheProxyWhenUsable) {
  ForwardedHeadersSettings settings;
  settings.use_forwarded_headers = true;
  filters::DownstreamInfo info =
      Apply(settings, "10.0.0.5", {{"X-Forwarded-Proto", "HTTPS"}, {"X-Forwarded-Port", "443"}});
  EXPECT_EQ(info.scheme, "https");
  EXPECT_EQ(info.local_port, 443);
  info =
      Apply(settings, "10.0.0.5", {{"X-Forwarded-Proto", "gopher"}, {"X-Forwarded-Port", "70000"}});
  EXPECT_EQ(info.scheme, "http");
  EXPECT_EQ(info.local_port, 80);
}

}  // namespace
}  // namespace gatehouse::dataplane::proxy
