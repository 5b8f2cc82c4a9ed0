#include "dataplane/filters/client_certificate.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/location_template.h"
#include "common/path_regex.h"

namespace gatehouse::dataplane::filters {

using Verdict = tls::PeerCertificate::Verdict;

namespace {

// Whether `name` spells `header` (lower case, with '-'), in any case, '_' counting as '-'.
bool SpellsHeader(absl::string_view name, absl::string_view header) {
  if (name.size() != header.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i] == '_' ? '-' : absl::ascii_tolower(static_cast<unsigned char>(name[i]));
    if (c != header[i]) return false;
  }
  return true;
}

// Whether `name` is one of the headers this filter sets. Checked per request header, without
// copying it.
bool IsCertificateHeader(absl::string_view name) {
  return SpellsHeader(name, ClientCertificateFilter::kVerifyHeader) ||
         SpellsHeader(name, ClientCertificateFilter::kSubjectHeader) ||
         SpellsHeader(name, ClientCertificateFilter::kIssuerHeader) ||
         SpellsHeader(name, ClientCertificateFilter::kCertificateHeader);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> ClientCertificateFilter::Compile(
    const v1::ClientCertificate& config) {
  using Factory = ConfigFactory<ClientCertificateFilter, Settings>;
  if (config.deny()) return std::make_shared<const Factory>(Settings{config, nullptr});
  if (config.mode() == v1::ClientCertificate::MODE_UNSPECIFIED ||
      !v1::ClientCertificate::Mode_IsValid(config.mode())) {
    return absl::InvalidArgumentError("no client-certificate mode");
  }
  if (config.validation().empty()) return absl::InvalidArgumentError("no client validation");
  const std::string& page = config.error_page();
  if (!page.empty() && !IsAbsoluteHttpUrl(page)) {
    return absl::InvalidArgumentError("the error page is not an absolute http(s) URL");
  }
  Settings settings{config, nullptr};
  if (!config.subject_match().empty()) {
    absl::StatusOr<std::shared_ptr<const re2::RE2>> match =
        CompileValueRegex(config.subject_match());
    if (!match.ok()) return match.status();
    settings.subject_match = *std::move(match);
  }
  return std::make_shared<const Factory>(std::move(settings));
}

FilterStatus ClientCertificateFilter::OnRequestHeaders(http::RequestHead& head, bool) {
  // Only the proxy says what the client's certificate is: what the client sent under these
  // names goes, also spelt with underscores, which CGI-style upstreams read as the same name.
  std::vector<http::HeaderMap::Entry>& entries = head.headers.mutable_entries();
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const http::HeaderMap::Entry& entry) {
                                 return IsCertificateHeader(entry.first);
                               }),
                entries.end());
  if (config_.deny()) {
    callbacks().SendLocalReply(503, "the host's client-certificate settings cannot be used");
    return FilterStatus::kStop;
  }
  const DownstreamInfo& downstream = callbacks().downstream();
  const tls::PeerCertificate* peer = downstream.client_certificate.get();
  if (downstream.secure && (peer == nullptr || peer->validation != config_.validation())) {
    callbacks().SendLocalReply(421, "this connection was not made for this host");
    return FilterStatus::kStop;
  }
  Verdict verdict = peer != nullptr ? peer->verdict : Verdict::kNone;
  const bool on = config_.mode() == v1::ClientCertificate::ON;
  const bool no_ca = config_.mode() == v1::ClientCertificate::OPTIONAL_NO_CA;
  if (verdict == Verdict::kNone && on) return Refuse("No required SSL certificate was sent");
  if (verdict == Verdict::kFailed || (verdict == Verdict::kUntrustedIssuer && !no_ca)) {
    return Refuse("The SSL certificate error");
  }
  // As ingress-nginx's `if ($ssl_client_s_dn !~ MATCH_CN)`: after the certificate is accepted,
  // found anywhere in the subject; no certificate, no subject, no match. A subject too long for
  // the loop's regex budget does not match either (MatchesValueRegex).
  if (subject_match_ != nullptr &&
      (peer == nullptr || !MatchesValueRegex(*subject_match_, peer->subject))) {
    callbacks().SendLocalReply(403, "client certificate unauthorized");
    return FilterStatus::kStop;
  }
  if (verdict == Verdict::kNone) {
    head.headers.Add(kVerifyHeader, "NONE");
    return FilterStatus::kContinue;
  }
  head.headers.Add(kVerifyHeader, verdict == Verdict::kVerified
                                      ? std::string("SUCCESS")
                                      : absl::StrCat("FAILED:", peer->error));
  if (!peer->subject.empty()) head.headers.Add(kSubjectHeader, peer->subject);
  if (!peer->issuer.empty()) head.headers.Add(kIssuerHeader, peer->issuer);
  if (config_.pass_certificate()) {
    head.headers.Add(kCertificateHeader, EscapeUriComponent(peer->pem));
  }
  return FilterStatus::kContinue;
}

FilterStatus ClientCertificateFilter::Refuse(absl::string_view message) {
  if (config_.error_page().empty()) {
    callbacks().SendLocalReply(400, message);
  } else {
    http::HeaderMap headers;
    headers.Add("Location", config_.error_page());
    callbacks().SendLocalReply(302, message, std::move(headers));
  }
  return FilterStatus::kStop;
}

}  // namespace gatehouse::dataplane::filters
