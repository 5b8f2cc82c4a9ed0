#include "controlplane/translate/snippet_advice.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace gatehouse::controlplane::translate {
namespace {

// The words of a directive: split at whitespace outside quotes, quotes removed.
std::vector<std::string> Words(absl::string_view directive) {
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool in_word = false;
  for (char c : directive) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (absl::ascii_isspace(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// The directives of a snippet: split at ';' outside quotes, comments dropped.
std::vector<std::string> Directives(absl::string_view snippet) {
  std::vector<std::string> out;
  std::string current;
  char quote = 0;
  bool comment = false;
  for (char c : snippet) {
    if (comment) {
      if (c == '\n') comment = false;
      continue;
    }
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      comment = true;
      continue;
    } else if (c == ';' || c == '{' || c == '}') {
      std::string text(absl::StripAsciiWhitespace(current));
      if (!text.empty()) out.push_back(std::move(text));
      current.clear();
      continue;
    }
    current.push_back(c == '\n' || c == '\t' ? ' ' : c);
  }
  std::string text(absl::StripAsciiWhitespace(current));
  if (!text.empty()) out.push_back(std::move(text));
  return out;
}

// "Name: value" from the arguments of a header directive, or "" when they are not a header.
std::string HeaderOf(const std::vector<std::string>& words, bool colon_form) {
  if (colon_form) {
    // more_set_headers [-s STATUS] [-t TYPE] "Name: value" ...: the first argument with a colon.
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i].find(':') != std::string::npos) return words[i];
    }
    return "";
  }
  if (words.size() < 3) return "";
  return absl::StrCat(words[1], ": ", words[2]);
}

std::string Advice(const std::vector<std::string>& words) {
  const std::string& name = words[0];
  bool variables = false;
  for (size_t i = 1; i < words.size(); ++i)
    variables = variables || absl::StrContains(words[i], '$');
  std::string caveat = variables ? " (nginx variables are not expanded there)" : "";
  if (name == "more_set_headers" || name == "add_header") {
    std::string header = HeaderOf(words, name == "more_set_headers");
    if (!header.empty()) {
      return absl::StrCat("use gatehouse.dev/response-headers with ", QuoteForMessage(header),
                          caveat);
    }
  }
  if (name == "proxy_set_header" || name == "more_set_input_headers") {
    std::string header = HeaderOf(words, name == "more_set_input_headers");
    if (!header.empty()) {
      return absl::StrCat("use gatehouse.dev/request-headers with ", QuoteForMessage(header),
                          caveat);
    }
  }
  if (name == "return" && words.size() >= 3) {
    if (words[1] == "301" || words[1] == "308") {
      return absl::StrCat("use permanent-redirect (with permanent-redirect-code ", words[1], ")");
    }
    if (words[1] == "302" || words[1] == "303" || words[1] == "307") {
      return absl::StrCat("use temporal-redirect (with temporal-redirect-code ", words[1], ")");
    }
  }
  if (name == "rewrite") return "use rewrite-target with a regex path";
  if (name == "proxy_connect_timeout" || name == "proxy_read_timeout" ||
      name == "proxy_send_timeout") {
    std::string annotation = absl::StrReplaceAll(name, {{"_", "-"}});
    return absl::StrCat("use ", annotation, " (whole seconds)");
  }
  if (name == "client_max_body_size") return "use proxy-body-size";
  return "no equivalent";
}

}  // namespace

std::vector<std::string> SnippetAdvice(absl::string_view snippet) {
  std::vector<std::string> out;
  std::vector<std::string> directives = Directives(snippet);
  for (size_t i = 0; i < directives.size() && i < kMaxAdvisedDirectives; ++i) {
    std::vector<std::string> words = Words(directives[i]);
    if (words.empty()) continue;
    out.push_back(absl::StrCat(QuoteForMessage(directives[i]), ": ", Advice(words)));
  }
  if (directives.size() > kMaxAdvisedDirectives) {
    out.push_back(
        absl::StrCat("and ", directives.size() - kMaxAdvisedDirectives, " more directives"));
  }
  return out;
}

}  // namespace gatehouse::controlplane::translate
