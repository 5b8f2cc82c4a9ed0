// Command-line flags of the form --name=value (or --name value, and --name for booleans).
//
// Each process declares its flags on a FlagSet, then calls ParseOrExit: an unknown flag, a missing
// value or a value its parser refuses ends the process with one line on stderr and exit code 2.
// Flag names keep the hyphens users type (--xds-listen), which Abseil's flags cannot.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/net_address.h"

namespace gatehouse {

class FlagSet {
 public:
  using Parser = std::function<absl::Status(absl::string_view value)>;

  // `program` names the process in messages; `synopsis` heads --help.
  FlagSet(std::string program, std::string synopsis);

  void AddString(std::string name, std::string* target, std::string help);
  // Accepts a decimal integer in [min, max].
  void AddInt(std::string name, int* target, int min, int max, std::string help);
  void AddBool(std::string name, bool* target, std::string help);
  // Accepts a byte count in [min, max]: a decimal number, with a suffix KiB, MiB or GiB or
  // none.
  void AddByteSize(std::string name, size_t* target, size_t min, size_t max, std::string help);
  // Accepts a duration like "250ms", "10s" or "2m" in [min, max].
  void AddDuration(std::string name, absl::Duration* target, absl::Duration min, absl::Duration max,
                   std::string help);
  // A HOST:PORT flag (ParseHostPort).
  void AddHostPort(std::string name, HostPort* target, std::string help);
  // A flag whose value `parser` checks and stores.
  void AddCustom(std::string name, std::string value_name, Parser parser, std::string help);

  // Parses argv[1..]; arguments not starting with "--" are collected as positionals.
  // The first error is returned as a one-line message.
  absl::Status Parse(int argc, char** argv);

  // Parse, then exit(0) after printing usage for --help, or exit(2) with one line on error.
  void ParseOrExit(int argc, char** argv);

  const std::vector<std::string>& positionals() const { return positionals_; }
  const std::string& program() const { return program_; }
  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string value_name;  // empty for booleans
    Parser parser;
    std::string help;
  };
  const Flag* Find(absl::string_view name) const;

  std::string program_;
  std::string synopsis_;
  std::vector<Flag> flags_;
  std::vector<std::string> positionals_;
};

}  // namespace gatehouse
