#include "common/flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace gatehouse {

FlagSet::FlagSet(std::string program, std::string synopsis)
    : program_(std::move(program)), synopsis_(std::move(synopsis)) {}

void FlagSet::AddString(std::string name, std::string* target, std::string help) {
  AddCustom(
      std::move(name), "STRING",
      [target](absl::string_view value) {
        *target = std::string(value);
        return absl::OkStatus();
      },
      std::move(help));
}

void FlagSet::AddInt(std::string name, int* target, int min, int max, std::string help) {
  AddCustom(
      std::move(name), "N",
      [target, min, max](absl::string_view value) {
        int parsed = 0;
        if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
          return absl::InvalidArgumentError(
              absl::StrCat("want a whole number from ", min, " to ", max));
        }
        *target = parsed;
        return absl::OkStatus();
      },
      std::move(help));
}

void FlagSet::AddDuration(std::string name, absl::Duration* target, absl::Duration min,
                          absl::Duration max, std::string help) {
  AddCustom(
      std::move(name), "DURATION",
      [target, min, max](absl::string_view value) {
        absl::Duration parsed;
        if (!absl::ParseDuration(value, &parsed) || parsed < min || parsed > max) {
          return absl::InvalidArgumentError(
              absl::StrCat("want a duration from ", absl::FormatDuration(min), " to ",
                           absl::FormatDuration(max), ", like 250ms or 10s"));
        }
        *target = parsed;
        return absl::OkStatus();
      },
      std::move(help));
}

void FlagSet::AddByteSize(std::string name, size_t* target, size_t min, size_t max,
                          std::string help) {
  AddCustom(
      std::move(name), "BYTES",
      [target, min, max](absl::string_view value) {
        static constexpr std::pair<absl::string_view, int> kUnits[] = {
            {"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
        absl::string_view digits = value;
        int shift = 0;
        for (const auto& [suffix, bits] : kUnits) {
          if (absl::ConsumeSuffix(&digits, suffix)) {
            shift = bits;
            break;
          }
        }
        uint64_t number = 0;
        bool ok = !digits.empty() && absl::c_all_of(digits, absl::ascii_isdigit) &&
                  absl::SimpleAtoi(digits, &number) && number <= (max >> shift);
        if (!ok || (number << shift) < min) {
          return absl::InvalidArgumentError(absl::StrCat("want a byte count from ", min, " to ",
                                                         max, ", like 65536, 512KiB or 4MiB"));
        }
        *target = static_cast<size_t>(number << shift);
        return absl::OkStatus();
      },
      std::move(help));
}

void FlagSet::AddBool(std::string name, bool* target, std::string help) {
  flags_.push_back(Flag{std::move(name), "",
                        [target](absl::string_view value) {
                          if (value.empty() || value == "true" || value == "1") {
                            *target = true;
                          } else if (value == "false" || value == "0") {
                            *target = false;
                          } else {
                            return absl::InvalidArgumentError("want true or false");
                          }
                          return absl::OkStatus();
                        },
                        std::move(help)});
}

void FlagSet::AddHostPort(std::string name, HostPort* target, std::string help) {
  AddCustom(
      std::move(name), "HOST:PORT",
      [target](absl::string_view value) -> absl::Status {
        absl::StatusOr<HostPort> parsed = ParseHostPort(value);
        if (!parsed.ok()) return parsed.status();
        *target = *std::move(parsed);
        return absl::OkStatus();
      },
      std::move(help));
}

void FlagSet::AddCustom(std::string name, std::string value_name, Parser parser, std::string help) {
  flags_.push_back(
      Flag{std::move(name), std::move(value_name), std::move(parser), std::move(help)});
}

const FlagSet::Flag* FlagSet::Find(absl::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

absl::Status FlagSet::Parse(int argc, char** argv) {
  positionals_.clear();
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positionals_.emplace_back(argv[i]);
      break;
    }
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      positionals_.emplace_back(arg);
      continue;
    }
    absl::string_view body = arg.substr(2);
    absl::string_view name = body;
    absl::string_view value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", absl::CHexEscape(name), " (see --help)"));
    }
    if (!has_value && !flag->value_name.empty()) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " needs a value (--", name, "=", flag->value_name, ")"));
      }
      value = argv[++i];
    }
    if (absl::Status status = flag->parser(value); !status.ok()) {
      return absl::InvalidArgumentError(
          // Quoted escaped: a value with a line break must not make the one line two.
          absl::StrCat("bad value \"", absl::CHexEscape(value), "\" for --", name, ": ",
                       status.message()));
    }
  }
  return absl::OkStatus();
}

std::string FlagSet::Usage() const {
  std::string out = absl::StrCat("usage: ", synopsis_, "\n\nflags:\n");
  for (const Flag& flag : flags_) {
    std::string head = absl::StrCat("  --", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&head, "=", flag.value_name);
    if (head.size() < 32) head.resize(32, ' ');
    absl::StrAppend(&out, head, " ", flag.help, "\n");
  }
  return out;
}

void FlagSet::ParseOrExit(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") {
      std::fputs(Usage().c_str(), stdout);
      std::exit(0);
    }
  }
  if (absl::Status status = Parse(argc, argv); !status.ok()) {
    std::fprintf(stderr, "%s: %s\n", program_.c_str(), std::string(status.message()).c_str());
    std::exit(2);
  }
}

}  // namespace gatehouse
