// What a request may do with its connection's client certificate. Reference: ingress-nginx's
// annotations documentation, "Client Certificate Authentication": auth-tls-verify-client "on"
// requires a certificate signed by the auth-tls-secret's CA, "optional" asks for one and lets
// requests without pass, "optional_no_ca" also lets pass a certificate no CA of the bundle
// signed, "off" asks for none; auth-tls-error-page is where a failed check is sent; with
// auth-tls-pass-certificate-to-upstream, the certificate goes upstream in ssl-client-cert. nginx,
// under it, answers a missing certificate "400 No required SSL certificate was sent" and a bad
// one "400 The SSL certificate error", and sets ssl-client-verify (SUCCESS, FAILED:reason,
// NONE), ssl-client-subject-dn and ssl-client-issuer-dn for the upstream. auth-tls-match-cn is
// "a string / regex starting with CN=" that the certificate must match, or the request gets 403;
// ingress-nginx writes it as `if ($ssl_client_s_dn !~ ...) { return 403 "client certificate
// unauthorized"; }`: a case-sensitive search anywhere in the RFC 2253 subject, made after the
// certificate checks above.
#include "dataplane/filters/client_certificate.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/path_regex.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;
using fakes::Request;
using Mode = v1::ClientCertificate::Mode;
using Verdict = tls::PeerCertificate::Verdict;

v1::Filter Config(Mode mode, const std::string& error_page = "", bool pass = false) {
  v1::Filter config;
  config.mutable_client_certificate()->set_validation("default/ca");
  config.mutable_client_certificate()->set_mode(mode);
  config.mutable_client_certificate()->set_error_page(error_page);
  config.mutable_client_certificate()->set_pass_certificate(pass);
  return config;
}

std::shared_ptr<const tls::PeerCertificate> Peer(Verdict verdict,
                                                 const std::string& validation = "default/ca") {
  auto peer = std::make_shared<tls::PeerCertificate>();
  peer->validation = validation;
  peer->verdict = verdict;
  if (verdict != Verdict::kNone) {
    peer->subject = "CN=alice,O=Example";
    peer->issuer = "CN=client-ca";
    peer->pem = "-----BEGIN CERTIFICATE-----\nMIIB+/=\n-----END CERTIFICATE-----\n";
  }
  if (verdict == Verdict::kUntrustedIssuer) peer->error = "unable to get local issuer certificate";
  if (verdict == Verdict::kFailed) peer->error = "certificate has expired";
  return peer;
}

// Every value of `name` (case-insensitive), in order.
std::vector<std::string> Values(const http::HeaderMap& headers, absl::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers.entries()) {
    if (absl::EqualsIgnoreCase(key, name)) values.push_back(value);
  }
  return values;
}

using Strings = std::vector<std::string>;

struct Outcome {
  int status = 0;  // 0: passed
  std::string message;
  http::RequestHead head;
  http::HeaderMap reply_headers;
};

Outcome Check(const v1::Filter& config, std::shared_ptr<const tls::PeerCertificate> peer,
              bool secure = true) {
  FakeFilterCallbacks callbacks("https");
  callbacks.mutable_downstream().secure = secure;
  callbacks.mutable_downstream().client_certificate = std::move(peer);
  auto filter = MakeFilter(config, callbacks);
  Outcome outcome;
  outcome.head = Request("GET", "mtls.test", "/");
  outcome.head.headers.Add("ssl-client-verify", "SUCCESS");  // forged by the client
  outcome.head.headers.Add("SSL-Client-Subject-DN", "CN=admin");
  outcome.head.headers.Add("ssl-client-cert", "forged");
  outcome.head.headers.Add("ssl_client_issuer_dn", "CN=forged");  // as CGI upstreams read it
  outcome.head.headers.Add("SSL_CLIENT_VERIFY", "SUCCESS");
  FilterStatus status = filter->OnRequestHeaders(outcome.head, true);
  if (status == FilterStatus::kStop) {
    EXPECT_TRUE(callbacks.local_reply.has_value());
    outcome.status = callbacks.local_reply->status;
    outcome.message = callbacks.local_reply->message;
    outcome.reply_headers = callbacks.local_reply->headers;
  }
  return outcome;
}

TEST(ClientCertificateFilterTest, EachModeAgainstEachVerdict) {
  struct Case {
    Mode mode;
    Verdict verdict;
    int status;  // 0: passes
    const char* verify;
  };
  const Case cases[] = {
      {v1::ClientCertificate::ON, Verdict::kVerified, 0, "SUCCESS"},
      {v1::ClientCertificate::ON, Verdict::kNone, 400, nullptr},
      {v1::ClientCertificate::ON, Verdict::kUntrustedIssuer, 400, nullptr},
      {v1::ClientCertificate::ON, Verdict::kFailed, 400, nullptr},
      {v1::ClientCertificate::OPTIONAL, Verdict::kVerified, 0, "SUCCESS"},
      {v1::ClientCertificate::OPTIONAL, Verdict::kNone, 0, "NONE"},
      {v1::ClientCertificate::OPTIONAL, Verdict::kUntrustedIssuer, 400, nullptr},
      {v1::ClientCertificate::OPTIONAL, Verdict::kFailed, 400, nullptr},
      {v1::ClientCertificate::OPTIONAL_NO_CA, Verdict::kVerified, 0, "SUCCESS"},
      {v1::ClientCertificate::OPTIONAL_NO_CA, Verdict::kNone, 0, "NONE"},
      {v1::ClientCertificate::OPTIONAL_NO_CA, Verdict::kUntrustedIssuer, 0,
       "FAILED:unable to get local issuer certificate"},
      {v1::ClientCertificate::OPTIONAL_NO_CA, Verdict::kFailed, 400, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << "mode " << c.mode << " verdict " << static_cast<int>(c.verdict));
    Outcome outcome = Check(Config(c.mode), Peer(c.verdict));
    EXPECT_EQ(outcome.status, c.status);
    if (c.status == 400) {
      EXPECT_EQ(outcome.message, c.verdict == Verdict::kNone
                                     ? "No required SSL certificate was sent"
                                     : "The SSL certificate error");
      continue;
    }
    const http::HeaderMap& headers = outcome.head.headers;
    EXPECT_EQ(Values(headers, "ssl_client_issuer_dn"), Strings{});
    EXPECT_EQ(Values(headers, "SSL_CLIENT_VERIFY"), Strings{});
    EXPECT_EQ(Values(headers, "ssl-client-verify"), Strings{c.verify});
    if (c.verdict == Verdict::kNone) {
      EXPECT_EQ(Values(headers, "ssl-client-subject-dn"), Strings{});
    } else {
      EXPECT_EQ(Values(headers, "ssl-client-subject-dn"), Strings{"CN=alice,O=Example"});
      EXPECT_EQ(Values(headers, "ssl-client-issuer-dn"), Strings{"CN=client-ca"});
    }
    EXPECT_EQ(Values(outcome.head.headers, "ssl-client-cert"), Strings{});  // not asked for
  }
}

TEST(ClientCertificateFilterTest, TheCertificateGoesUpstreamUrlEncodedWhenAsked) {
  Outcome outcome = Check(Config(v1::ClientCertificate::ON, "", true), Peer(Verdict::kVerified));
  ASSERT_EQ(outcome.status, 0);
  EXPECT_EQ(
      Values(outcome.head.headers, "ssl-client-cert"),
      Strings{"-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%2F%3D%0A-----END%20CERTIFICATE-----%0A"});
}

TEST(ClientCertificateFilterTest, AnErrorPageTurnsRefusalsIntoRedirects) {
  Outcome outcome =
      Check(Config(v1::ClientCertificate::ON, "https://login.example/cert"), Peer(Verdict::kNone));
  EXPECT_EQ(outcome.status, 302);
  EXPECT_EQ(Values(outcome.reply_headers, "Location"), Strings{"https://login.example/cert"});
}

TEST(ClientCertificateFilterTest, AConnectionMadeForAnotherHostGets421) {
  // Its handshake applied another host's validation, or none (an SNI naming a host without
  // one, or a resumed session): whatever the mode.
  for (Mode mode : {v1::ClientCertificate::ON, v1::ClientCertificate::OPTIONAL,
                    v1::ClientCertificate::OPTIONAL_NO_CA}) {
    EXPECT_EQ(Check(Config(mode), Peer(Verdict::kVerified, "other/ca")).status, 421);
    EXPECT_EQ(Check(Config(mode), nullptr).status, 421);
  }
}

TEST(ClientCertificateFilterTest, PlainHttpHasNoCertificate) {
  EXPECT_EQ(Check(Config(v1::ClientCertificate::ON), nullptr, /*secure=*/false).status, 400);
  Outcome optional = Check(Config(v1::ClientCertificate::OPTIONAL), nullptr, /*secure=*/false);
  EXPECT_EQ(optional.status, 0);
  EXPECT_EQ(Values(optional.head.headers, "ssl-client-verify"), Strings{"NONE"});
  EXPECT_EQ(Values(optional.head.headers, "ssl-client-subject-dn"), Strings{});
}

TEST(ClientCertificateFilterTest, SettingsThatCannotBeUsedDenyEveryRequest) {
  v1::Filter config;
  config.mutable_client_certificate()->set_deny(true);
  EXPECT_EQ(Check(config, Peer(Verdict::kVerified)).status, 503);
  EXPECT_EQ(Check(config, nullptr, /*secure=*/false).status, 503);
}

v1::Filter Matching(Mode mode, const std::string& pattern) {
  v1::Filter config = Config(mode, "https://errors.example/");
  config.mutable_client_certificate()->set_subject_match(pattern);
  return config;
}

TEST(ClientCertificateFilterTest, TheSubjectMustMatchTheCommonNamePattern) {
  struct Case {
    const char* pattern;
    bool passes;  // against "CN=alice,O=Example"
  } cases[] = {
      {"CN=alice", true},    {"CN=(bob|alice|carol)", true},
      {"CN=ali", true},  // found anywhere, as nginx's !~
      {"O=Example", true},   {"CN=bob", false},
      {"CN=ALICE", false},  // case-sensitive
      {"^CN=alice$", false}, {"^CN=alice(,|$)", true},
  };
  for (const Case& c : cases) {
    Outcome outcome =
        Check(Matching(v1::ClientCertificate::ON, c.pattern), Peer(Verdict::kVerified));
    if (c.passes) {
      EXPECT_EQ(outcome.status, 0) << c.pattern;
      EXPECT_EQ(Values(outcome.head.headers, "ssl-client-verify"), Strings{"SUCCESS"});
    } else {
      // 403, never the error page's redirect (nginx sends only 495 and 496 there).
      EXPECT_EQ(outcome.status, 403) << c.pattern;
      EXPECT_EQ(outcome.message, "client certificate unauthorized");
      EXPECT_EQ(Values(outcome.reply_headers, "Location"), Strings{});
    }
  }
}

TEST(ClientCertificateFilterTest, TheCertificateChecksComeBeforeTheSubjectMatch) {
  // A certificate that fails is refused as such, however its subject reads.
  EXPECT_EQ(Check(Matching(v1::ClientCertificate::ON, "CN=alice"), Peer(Verdict::kFailed)).status,
            302);
  // optional: no certificate, no subject to match.
  EXPECT_EQ(Check(Matching(v1::ClientCertificate::OPTIONAL, "CN="), Peer(Verdict::kNone)).status,
            403);
  EXPECT_EQ(Check(Matching(v1::ClientCertificate::OPTIONAL, "CN="), nullptr, false).status, 403);
  // optional_no_ca: an unknown issuer's certificate is matched by its subject.
  EXPECT_EQ(Check(Matching(v1::ClientCertificate::OPTIONAL_NO_CA, "CN=alice"),
                  Peer(Verdict::kUntrustedIssuer))
                .status,
            0);
  // A subject too long to match within the loop's regex budget does not match.
  size_t fits =
      kMaxLoopRegexWork / static_cast<size_t>(CompileValueRegex("CN=alice").value()->ProgramSize());
  auto longest = std::make_shared<tls::PeerCertificate>(*Peer(Verdict::kVerified));
  longest->subject = "CN=alice,O=" + std::string(fits - 11, 'x');
  EXPECT_EQ(Check(Matching(v1::ClientCertificate::ON, "CN=alice"), longest).status, 0);
  auto huge = std::make_shared<tls::PeerCertificate>(*Peer(Verdict::kVerified));
  huge->subject = longest->subject + "x";
  EXPECT_EQ(Check(Matching(v1::ClientCertificate::ON, "CN=alice"), huge).status, 403);
}

TEST(ClientCertificateFilterTest, ASubjectPatternOverTheBudgetIsRefused) {
  EXPECT_FALSE(ClientCertificateFilter::Compile(
                   Matching(v1::ClientCertificate::ON, "CN=(").client_certificate())
                   .ok());
  EXPECT_FALSE(ClientCertificateFilter::Compile(
                   Matching(v1::ClientCertificate::ON, "CN=a{1000}").client_certificate())
                   .ok());
}

TEST(ClientCertificateFilterTest, ConfigsWithoutModeOrWithABadErrorPageAreRefused) {
  v1::Filter none = Config(v1::ClientCertificate::MODE_UNSPECIFIED);
  EXPECT_FALSE(ClientCertificateFilter::Compile(none.client_certificate()).ok());
  for (const char* page : {"/relative", "ftp://x/", "https://a b/", "https://a/\r\nX: y"}) {
    v1::Filter bad = Config(v1::ClientCertificate::ON, page);
    EXPECT_FALSE(ClientCertificateFilter::Compile(bad.client_certificate()).ok()) << page;
  }
  v1::Filter good = Config(v1::ClientCertificate::ON, "http://errors.example/cert?x=1");
  EXPECT_TRUE(ClientCertificateFilter::Compile(good.client_certificate()).ok());
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
