#include "dataplane/router/backend_choice.h"

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "common/path_regex.h"

namespace gatehouse::dataplane::router {

absl::StatusOr<BackendChoice> BackendChoice::Compile(const v1::Route& route) {
  BackendChoice choice;
  std::vector<std::string> errors;
  if (route.weighted_clusters().empty()) {
    if (route.cluster().empty()) errors.push_back(": no cluster");
    choice.backends_.push_back({route.cluster(), 1, route.load_balancing()});
    choice.total_weight_ = 1;
  } else if (route.weighted_clusters_size() > kMaxWeightedClusters) {
    errors.push_back(absl::StrCat(".weighted_clusters: ", route.weighted_clusters_size(),
                                  " clusters, more than ", kMaxWeightedClusters));
  } else {
    for (int i = 0; i < route.weighted_clusters_size(); ++i) {
      const v1::WeightedCluster& weighted = route.weighted_clusters(i);
      if (weighted.cluster().empty()) {
        errors.push_back(absl::StrCat(".weighted_clusters[", i, "]: no cluster"));
      }
      if (weighted.weight() > kMaxClusterWeight) {
        errors.push_back(absl::StrCat(".weighted_clusters[", i, "]: weight ", weighted.weight(),
                                      " is more than ", kMaxClusterWeight));
      }
      choice.backends_.push_back(
          {weighted.cluster(), weighted.weight(), weighted.load_balancing()});
      choice.total_weight_ += weighted.weight();
    }
  }
  if (route.has_canary()) {
    const v1::Canary& canary = route.canary();
    choice.canary_ = true;
    if (route.weighted_clusters_size() != 2) {
      errors.push_back(".canary: needs exactly two weighted_clusters, the primary and the canary");
    }
    if (!canary.header().empty() && !IsToken(canary.header())) {
      errors.push_back(absl::StrCat(".canary.header: ", QuoteForMessage(canary.header()),
                                    " is not a header name"));
    }
    if (!canary.cookie().empty() && !IsToken(canary.cookie())) {
      errors.push_back(absl::StrCat(".canary.cookie: ", QuoteForMessage(canary.cookie()),
                                    " is not a cookie name"));
    }
    choice.header_ = canary.header();
    choice.header_value_ = canary.header_value();
    choice.cookie_ = canary.cookie();
    if (!canary.header_pattern().empty()) {
      absl::StatusOr<std::shared_ptr<const re2::RE2>> pattern =
          CompileValueRegex(canary.header_pattern());
      if (pattern.ok()) {
        choice.header_pattern_ = *std::move(pattern);
      } else {
        errors.push_back(absl::StrCat(".canary.header_pattern: ", pattern.status().message()));
      }
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  return choice;
}

BackendChoice::Verdict BackendChoice::AskCanary(const http::HeaderMap& headers) const {
  if (!header_.empty()) {
    if (const std::string* value = headers.Get(header_)) {
      if (!header_value_.empty()) {
        if (*value == header_value_) return Verdict::kCanary;
      } else if (header_pattern_ != nullptr) {
        if (MatchesValueRegex(*header_pattern_, *value)) return Verdict::kCanary;
      } else if (*value == "always") {
        return Verdict::kCanary;
      } else if (*value == "never") {
        return Verdict::kPrimary;
      }
    }
  }
  if (!cookie_.empty()) {
    if (std::optional<absl::string_view> value = headers.GetCookie(cookie_)) {
      if (*value == "always") return Verdict::kCanary;
      if (*value == "never") return Verdict::kPrimary;
    }
  }
  return Verdict::kNone;
}

const Backend* BackendChoice::Choose(const http::HeaderMap& headers, absl::BitGenRef random) const {
  if (!canary_ && backends_.size() == 1) return total_weight_ > 0 ? &backends_[0] : nullptr;
  if (canary_) {
    switch (AskCanary(headers)) {
      case Verdict::kPrimary:
        return &backends_[0];
      case Verdict::kCanary:
        return &backends_[1];
      case Verdict::kNone:
        break;
    }
  }
  if (total_weight_ == 0) return nullptr;
  uint64_t draw = absl::Uniform<uint64_t>(random, 0, total_weight_);
  for (const Backend& backend : backends_) {
    if (draw < backend.weight) return &backend;
    draw -= backend.weight;
  }
  return &backends_.back();  // not reached: the draw is below the sum
}

void BackendChoice::Label(absl::string_view source, absl::string_view host) {
  for (Backend& backend : backends_) {
    backend.labels = RequestLabels::Intern(source, backend.cluster, host);
  }
}

}  // namespace gatehouse::dataplane::router
