// The Strict-Transport-Security filter. Reference: RFC 6797 section 7.2 (an HSTS host must not
// send the header over plain HTTP) and ingress-nginx's hsts ConfigMap keys, whose default is
// "max-age=31536000; includeSubDomains" on hosts with a certificate.
#include "dataplane/filters/strict_transport_security.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/fake_filter_callbacks.h"
#include "tests/unit/dataplane/fakes/filter_test_util.h"

namespace gatehouse::dataplane::filters {
namespace {

using fakes::FakeFilterCallbacks;
using fakes::MakeFilter;

v1::Filter Config(absl::string_view value) {
  v1::Filter config;
  config.mutable_strict_transport_security()->set_value(std::string(value));
  return config;
}

TEST(StrictTransportSecurityFilterTest, SetOnHttpsResponsesReplacingTheUpstreams) {
  FakeFilterCallbacks callbacks("https");
  auto filter = MakeFilter(Config("max-age=60"), callbacks);
  http::ResponseHead head;
  head.headers.Add("Strict-Transport-Security", "max-age=1");
  head.headers.Add("strict-transport-security", "max-age=2");
  filter->OnResponseHeaders(head, true);
  ASSERT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(*head.headers.Get("strict-transport-security"), "max-age=60");
}

TEST(StrictTransportSecurityFilterTest, NeverOnPlainHttp) {
  FakeFilterCallbacks callbacks("http");
  auto filter = MakeFilter(Config("max-age=60"), callbacks);
  http::ResponseHead head;
  filter->OnResponseHeaders(head, true);
  EXPECT_FALSE(head.headers.Has("strict-transport-security"));
}

TEST(StrictTransportSecurityFilterTest, RefusesValuesThatCannotBeSent) {
  for (absl::string_view bad :
       {absl::string_view(""), absl::string_view("max-age=1\r\nX: y"), absl::string_view("a\nb"),
        absl::string_view("a\0b", 3), absl::string_view(" max-age=1")}) {
    absl::StatusOr<std::shared_ptr<const FilterFactory>> factory = CompileFilter(Config(bad));
    EXPECT_FALSE(factory.ok()) << absl::CHexEscape(bad);
  }
}

}  // namespace
}  // namespace gatehouse::dataplane::filters
