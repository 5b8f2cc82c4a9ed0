#include "common/flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gatehouse {
namespace {

absl::Status ParseArgs(FlagSet& flags, std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return flags.Parse(static_cast<int>(argv.size()), argv.data());
}

TEST(FlagSetTest, ParsesEqualsAndSpaceForms) {
  std::string name;
  int workers = 1;
  bool verbose = false;
  FlagSet flags("prog", "prog [flags]");
  flags.AddString("name", &name, "a name");
  flags.AddInt("workers", &workers, 1, 64, "workers");
  flags.AddBool("verbose", &verbose, "more output");
  ASSERT_TRUE(ParseArgs(flags, {"--name=a", "--workers", "4", "--verbose", "sub"}).ok());
  EXPECT_EQ(name, "a");
  EXPECT_EQ(workers, 4);
  EXPECT_TRUE(verbose);
  EXPECT_EQ(flags.positionals(), std::vector<std::string>{"sub"});
}

TEST(FlagSetTest, ErrorsAreOneClearLine) {
  int workers = 1;
  FlagSet flags("prog", "prog [flags]");
  flags.AddInt("workers", &workers, 1, 64, "workers");

  absl::Status unknown = ParseArgs(flags, {"--wrokers=2"});
  EXPECT_EQ(unknown.message(), "unknown flag --wrokers (see --help)");

  absl::Status range = ParseArgs(flags, {"--workers=0"});
  EXPECT_EQ(range.message(), "bad value \"0\" for --workers: want a whole number from 1 to 64");

  absl::Status missing = ParseArgs(flags, {"--workers"});
  EXPECT_EQ(missing.message(), "flag --workers needs a value (--workers=N)");
  EXPECT_EQ(workers, 1);

  // What the user typed is quoted escaped: a line break in it cannot make the one line two.
  absl::Status broken = ParseArgs(flags, {"--workers=1\r\n2"});
  EXPECT_EQ(broken.message(),
            "bad value \"1\\r\\n2\" for --workers: want a whole number from 1 to 64");
  absl::Status odd_name = ParseArgs(flags, {"--a\nb=1"});
  EXPECT_EQ(odd_name.message(), "unknown flag --a\\nb (see --help)");
}

TEST(FlagSetTest, ByteSizesTakeBinarySuffixesWithinTheirRange) {
  size_t bytes = 7;
  FlagSet flags("prog", "prog [flags]");
  flags.AddByteSize("buffer", &bytes, 0, size_t{1} << 30, "a buffer");
  ASSERT_TRUE(ParseArgs(flags, {"--buffer=65536"}).ok());
  EXPECT_EQ(bytes, 65536u);
  ASSERT_TRUE(ParseArgs(flags, {"--buffer=512KiB"}).ok());
  EXPECT_EQ(bytes, 512u << 10);
  ASSERT_TRUE(ParseArgs(flags, {"--buffer=4MiB"}).ok());
  EXPECT_EQ(bytes, 4u << 20);
  ASSERT_TRUE(ParseArgs(flags, {"--buffer=1GiB"}).ok());
  EXPECT_EQ(bytes, 1u << 30);
  ASSERT_TRUE(ParseArgs(flags, {"--buffer=0"}).ok());
  EXPECT_EQ(bytes, 0u);
  // Past the maximum, even where the shift would wrap; signs, spaces, other units: refused.
  for (const char* bad :
       {"2GiB", "1073741825", "18014398509481984KiB", "-1", "4 MiB", "4MB", "4m", "MiB", ""}) {
    absl::Status status = ParseArgs(flags, {std::string("--buffer=") + bad});
    EXPECT_FALSE(status.ok()) << bad;
    EXPECT_NE(status.message().find("want a byte count from 0 to 1073741824"), std::string::npos)
        << status.message();
  }
  EXPECT_EQ(bytes, 0u);
}

TEST(FlagSetTest, UsageListsEveryFlag) {
  std::string name;
  FlagSet flags("prog", "prog [flags]");
  flags.AddString("name", &name, "the name");
  EXPECT_NE(flags.Usage().find("--name=STRING"), std::string::npos);
  EXPECT_NE(flags.Usage().find("the name"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse
