// A route's request mirror as both processes compile it (config.proto's RequestMirror): its
// target's variables are nginx's, as ingress-nginx's mirror-target passes them to proxy_pass.
#include "common/request_mirror.h"

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

v1::RequestMirror Mirror(absl::string_view cluster, absl::string_view target,
                         absl::string_view host = "") {
  v1::RequestMirror mirror;
  mirror.set_cluster(std::string(cluster));
  mirror.set_target(std::string(target));
  mirror.set_host(std::string(host));
  return mirror;
}

TEST(RequestMirrorTest, TheTargetExpandsTheRequestsVariables) {
  absl::StatusOr<MirrorPolicy> mirror = CompileMirror(Mirror("ns/shadow:80", "$request_uri"));
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  EXPECT_EQ(mirror->Target("/cart?id=7", "/rewritten", "shop.test", "https"), "/cart?id=7");
  // ingress-nginx's own example: "/" then $request_uri makes two slashes, in nginx too.
  mirror = CompileMirror(Mirror("c", "/$request_uri"));
  EXPECT_EQ(mirror->Target("/cart?id=7", "/x", "h", "http"), "//cart?id=7");
  mirror = CompileMirror(Mirror("c", "/copy?of=$uri&q=$args&h=$host&s=$scheme"));
  EXPECT_EQ(mirror->Target("/a/b?x=1", "/x", "shop.test", "http"),
            "/copy?of=/a/b&q=x=1&h=shop.test&s=http");
  // No target: the request's own, as it goes upstream.
  mirror = CompileMirror(Mirror("c", ""));
  EXPECT_EQ(mirror->Target("/api/items", "/items", "h", "http"), "/items");
}

TEST(RequestMirrorTest, WhatCouldNotGoOnTheWireIsRefused) {
  EXPECT_FALSE(CompileMirror(Mirror("", "/x")).ok());
  for (absl::string_view target :
       {"/a b", "/a\r\nX-Injected: 1", "/\x7f", "relative", "/$remote_addr", "/caf\xc3\xa9"}) {
    EXPECT_FALSE(CompileMirror(Mirror("c", target)).ok()) << target;
  }
  for (absl::string_view host : {"a b", "a.test\r\nX: 1", "a_b.test:99999", "[::1]"}) {
    EXPECT_FALSE(CompileMirror(Mirror("c", "/", host)).ok()) << host;
  }
  EXPECT_TRUE(CompileMirror(Mirror("c", "/", "shadow.example:8080")).ok());
  v1::RequestMirror share = Mirror("c", "");
  share.set_numerator(2);
  share.set_denominator(1);
  EXPECT_FALSE(CompileMirror(share).ok());
  share.set_numerator(1);
  share.set_denominator(2000000);
  EXPECT_FALSE(CompileMirror(share).ok());
}

TEST(RequestMirrorTest, TheShareOfRequestsCopiedIsTheFraction) {
  absl::InsecureBitGen random;
  v1::RequestMirror config = Mirror("c", "");
  MirrorPolicy every = *CompileMirror(config);
  config.set_numerator(0);
  config.set_denominator(100);
  MirrorPolicy none = *CompileMirror(config);
  config.set_numerator(1);
  config.set_denominator(4);
  MirrorPolicy quarter = *CompileMirror(config);
  int copied = 0;
  for (int i = 0; i < 20000; ++i) {
    EXPECT_TRUE(every.Sampled(random));
    EXPECT_FALSE(none.Sampled(random));
    copied += quarter.Sampled(random) ? 1 : 0;
  }
  // 5000 expected; the standard deviation is about 61, so this is over 8 of them.
  EXPECT_NEAR(copied, 5000, 500);
}

}  // namespace
}  // namespace gatehouse
