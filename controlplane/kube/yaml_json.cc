#include "controlplane/kube/yaml_json.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_string.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace gatehouse::controlplane::kube {
namespace {

bool AllOf(absl::string_view text, bool (*pred)(unsigned char)) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}
bool IsDigit(unsigned char c) { return absl::ascii_isdigit(c); }
bool IsOctal(unsigned char c) { return c >= '0' && c <= '7'; }
bool IsHex(unsigned char c) { return absl::ascii_isxdigit(c); }

std::string StripLeadingZeros(absl::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, rewritten as valid JSON.
std::optional<std::string> FloatLiteral(absl::string_view text) {
  std::string sign;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    if (text[0] == '-') sign = "-";
    text.remove_prefix(1);
  }
  size_t e = text.find_first_of("eE");
  absl::string_view mantissa = text.substr(0, e);
  std::string exponent;
  if (e != absl::string_view::npos) {
    absl::string_view exp = text.substr(e + 1);
    std::string exp_sign;
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) {
      if (exp[0] == '-') exp_sign = "-";
      exp.remove_prefix(1);
    }
    if (!AllOf(exp, IsDigit)) return std::nullopt;
    exponent = absl::StrCat("e", exp_sign, exp);
  }
  size_t dot = mantissa.find('.');
  absl::string_view int_part = mantissa.substr(0, dot);
  absl::string_view frac_part =
      dot == absl::string_view::npos ? absl::string_view() : mantissa.substr(dot + 1);
  if (int_part.empty() && frac_part.empty()) return std::nullopt;
  if (!int_part.empty() && !AllOf(int_part, IsDigit)) return std::nullopt;
  if (!frac_part.empty() && !AllOf(frac_part, IsDigit)) return std::nullopt;
  if (dot == absl::string_view::npos && exponent.empty()) return std::nullopt;  // an integer
  std::string out = absl::StrCat(sign, int_part.empty() ? "0" : StripLeadingZeros(int_part));
  if (dot != absl::string_view::npos)
    absl::StrAppend(&out, ".", frac_part.empty() ? "0" : frac_part);
  absl::StrAppend(&out, exponent);
  return out;
}

std::optional<std::string> RadixLiteral(absl::string_view digits, int base) {
  std::string text(digits);
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, base);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return absl::StrCat(value);
}

void AppendJson(const YAML::Node& node, std::string* out);

void AppendScalar(const YAML::Node& node, std::string* out) {
  const std::string& value = node.Scalar();
  if (node.Tag() == "?") {
    if (std::optional<std::string> literal = PlainScalarAsJsonLiteral(value)) {
      absl::StrAppend(out, *literal);
      return;
    }
  }
  absl::StrAppend(out, JsonQuote(value));
}

// A document's JSON grows past this many bytes only through aliases repeating anchored nodes
// (a "billion laughs"): refused rather than expanded.
constexpr size_t kMaxDocumentJsonBytes = 16 << 20;

struct TooLarge {};

void AppendJson(const YAML::Node& node, std::string* out) {
  if (out->size() > kMaxDocumentJsonBytes) throw TooLarge();
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      absl::StrAppend(out, "null");
      return;
    case YAML::NodeType::Scalar:
      AppendScalar(node, out);
      return;
    case YAML::NodeType::Sequence: {
      out->push_back('[');
      bool first = true;
      for (const YAML::Node& item : node) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(item, out);
      }
      out->push_back(']');
      return;
    }
    case YAML::NodeType::Map: {
      out->push_back('{');
      bool first = true;
      for (const auto& entry : node) {
        if (!first) out->push_back(',');
        first = false;
        const YAML::Node& key = entry.first;
        if (key.IsNull()) {
          absl::StrAppend(out, "\"\"");
        } else if (key.IsScalar()) {
          absl::StrAppend(out, JsonQuote(key.Scalar()));
        } else {
          YAML::Mark mark = key.Mark();
          throw YAML::Exception(mark, "a mapping key must be a plain value, not a list or map");
        }
        out->push_back(':');
        AppendJson(entry.second, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

std::optional<std::string> PlainScalarAsJsonLiteral(absl::string_view scalar) {
  if (scalar.empty() || scalar == "~" || scalar == "null" || scalar == "Null" || scalar == "NULL") {
    return "null";
  }
  if (scalar == "true" || scalar == "True" || scalar == "TRUE") return "true";
  if (scalar == "false" || scalar == "False" || scalar == "FALSE") return "false";
  if (absl::StartsWith(scalar, "0o") && AllOf(scalar.substr(2), IsOctal)) {
    return RadixLiteral(scalar.substr(2), 8);
  }
  if (absl::StartsWith(scalar, "0x") && AllOf(scalar.substr(2), IsHex)) {
    return RadixLiteral(scalar.substr(2), 16);
  }
  absl::string_view unsigned_part = scalar;
  std::string sign;
  if (scalar[0] == '-' || scalar[0] == '+') {
    if (scalar[0] == '-') sign = "-";
    unsigned_part.remove_prefix(1);
  }
  if (AllOf(unsigned_part, IsDigit)) return absl::StrCat(sign, StripLeadingZeros(unsigned_part));
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF") {
    return absl::StrCat("\"", sign, "Infinity\"");
  }
  if (scalar == ".nan" || scalar == ".NaN" || scalar == ".NAN") return "\"NaN\"";
  return FloatLiteral(scalar);
}

namespace {

// Counts documents, and nothing else.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The most documents `yaml` can hold: one, and one more after each line that starts with a
// document marker ("---" or "...").
size_t MaxDocuments(absl::string_view yaml) {
  size_t count = 1;
  for (size_t at = 0; at < yaml.size();) {
    absl::string_view line = yaml.substr(at, yaml.find('\n', at) - at);
    if (absl::StartsWith(line, "---") || absl::StartsWith(line, "...")) ++count;
    at += line.size() + 1;
  }
  return count;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> YamlDocumentsToJson(absl::string_view yaml) {
  // yaml-cpp reports every problem by throwing; they all end here as one Status.
  try {
    // yaml-cpp 0.7 can report documents forever on some malformed streams (a document that
    // begins with ",", say), each one a null node: bounded here before LoadAll would loop
    // until memory runs out.
    std::string text(yaml);
    {
      std::istringstream stream(text);
      YAML::Parser parser(stream);
      DocumentCounter counter;
      const size_t max_documents = MaxDocuments(yaml);
      for (size_t documents = 0; parser.HandleNextDocument(counter);) {
        if (++documents > max_documents) {
          return absl::InvalidArgumentError(
              "not YAML: the parser found more documents than the stream has markers");
        }
      }
    }
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    std::vector<std::string> out;
    out.reserve(documents.size());
    for (const YAML::Node& document : documents) {
      std::string json;
      AppendJson(document, &json);
      out.push_back(std::move(json));
    }
    return out;
  } catch (const TooLarge&) {
    return absl::InvalidArgumentError(absl::StrCat("a document is larger than ",
                                                   kMaxDocumentJsonBytes >> 20,
                                                   " MiB once its aliases are expanded"));
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return absl::InvalidArgumentError(e.msg);
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
}

}  // namespace gatehouse::controlplane::kube
