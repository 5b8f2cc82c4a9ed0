// ingress-nginx's auth-tls-* annotations, per request: the handshake of the connection asked for
// a client certificate and recorded what it proved (tls::PeerCertificate); this filter decides,
// by the host's mode, whether the request goes on, and tells the upstream who the client is
// (v1::ClientCertificate has the rules). A request whose connection's handshake did not apply
// this host's validation (another SNI name, a resumed session) gets 421 Misdirected Request:
// the client must connect for this host, as RFC 9110 section 15.5.20 has it. A host with
// auth-tls-match-cn then gets 403 for a request whose certificate's subject does not match it.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/filters/filter_chain.h"
#include "gatehouse/v1/filters.pb.h"
#include "re2/re2.h"

namespace gatehouse::dataplane::filters {

class ClientCertificateFilter : public Filter {
 public:
  // The headers the upstream is told the client's certificate in.
  static constexpr absl::string_view kVerifyHeader = "ssl-client-verify";
  static constexpr absl::string_view kSubjectHeader = "ssl-client-subject-dn";
  static constexpr absl::string_view kIssuerHeader = "ssl-client-issuer-dn";
  static constexpr absl::string_view kCertificateHeader = "ssl-client-cert";

  struct Settings {
    v1::ClientCertificate config;
    std::shared_ptr<const re2::RE2> subject_match;  // null: any subject
  };

  // The mode must be set; an error page must be an absolute http(s) URL without spaces or
  // control characters; a subject pattern must compile within the regex budget.
  static absl::StatusOr<std::shared_ptr<const FilterFactory>> Compile(
      const v1::ClientCertificate& config);

  explicit ClientCertificateFilter(const Settings& settings)
      : config_(settings.config), subject_match_(settings.subject_match.get()) {}

  FilterStatus OnRequestHeaders(http::RequestHead& head, bool end_stream) override;

 private:
  // Refuses the request: 400 with nginx's words, or a redirect to the error page.
  FilterStatus Refuse(absl::string_view message);

  const v1::ClientCertificate& config_;
  const re2::RE2* subject_match_;
};

}  // namespace gatehouse::dataplane::filters
