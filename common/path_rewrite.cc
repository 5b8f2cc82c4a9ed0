#include "common/path_rewrite.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"
#include "common/log.h"
#include "common/path_regex.h"

namespace gatehouse {

absl::StatusOr<PathRewrite> PathRewrite::Compile(absl::string_view regex,
                                                 absl::string_view replacement) {
  if (!absl::StartsWith(replacement, "/") || !IsFieldValue(replacement) ||
      absl::StrContains(replacement, ' ')) {
    return absl::InvalidArgumentError(absl::StrCat("rewrite target ", QuoteForMessage(replacement),
                                                   " is not a path starting with /"));
  }
  absl::StatusOr<std::shared_ptr<const re2::RE2>> compiled = CompilePathRegex(regex);
  if (!compiled.ok()) return compiled.status();
  PathRewrite out;
  out.regex_ = *std::move(compiled);
  std::string text;
  for (size_t i = 0; i < replacement.size(); ++i) {
    if (replacement[i] != '$') {
      text.push_back(replacement[i]);
      continue;
    }
    if (i + 1 >= replacement.size() || !absl::ascii_isdigit(replacement[i + 1]) ||
        (i + 2 < replacement.size() && absl::ascii_isdigit(replacement[i + 2]))) {
      return absl::InvalidArgumentError(
          absl::StrCat("rewrite target ", QuoteForMessage(replacement),
                       ": only $0 to $9 (the path regex's groups) may follow a $"));
    }
    int group = replacement[i + 1] - '0';
    if (!text.empty()) out.parts_.emplace_back(-1, std::move(text));
    text.clear();
    out.parts_.emplace_back(group, "");
    out.max_group_ = std::max(out.max_group_, group);
    ++i;
  }
  if (!text.empty()) out.parts_.emplace_back(-1, std::move(text));
  if (out.max_group_ > out.regex_->NumberOfCapturingGroups()) {
    return absl::InvalidArgumentError(
        absl::StrCat("rewrite target ", QuoteForMessage(replacement), " names $", out.max_group_,
                     " but the path regex has ", out.regex_->NumberOfCapturingGroups(), " groups"));
  }
  return out;
}

uint64_t PathRewrite::Work(size_t path_bytes) const { return RegexWork(*regex_, path_bytes); }

std::optional<std::string> PathRewrite::Apply(absl::string_view target) const {
  size_t question = target.find('?');
  absl::string_view path = target.substr(0, question);
  re2::StringPiece groups[10];
  if (!regex_->Match(re2::StringPiece(path.data(), path.size()), 0, path.size(),
                     re2::RE2::UNANCHORED, groups, max_group_ + 1)) {
    return std::nullopt;
  }
  std::string out;
  for (const auto& [group, text] : parts_) {
    if (group < 0) {
      out += text;
    } else {
      out.append(groups[group].data(), groups[group].size());  // an unset group is empty
    }
  }
  if (question == absl::string_view::npos) {
    if (absl::EndsWith(out, "?")) out.pop_back();
    return out;
  }
  absl::string_view args = target.substr(question + 1);
  if (absl::EndsWith(out, "?")) {
    out.pop_back();  // nginx: a replacement ending with "?" drops the request's arguments
  } else if (absl::StrContains(out, '?')) {
    absl::StrAppend(&out, "&", args);
  } else {
    absl::StrAppend(&out, "?", args);
  }
  return out;
}

}  // namespace gatehouse
