// Bad input answers with one line on stderr and exit code 1: never a crash, a stack trace or
// an abort. Each case runs the real `imitate` executable.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/data/demo_file.h"
#include "imitate/sdk/params.h"
#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;

// a valid experiment; cases replace parts of it
constexpr const char* kValid = R"(name = "t"
seed = 0

[environment]
kind = "point_mass"

[demos]
path = "demos.h5"

[encoder]
kind = "mlp"

[optimizer]
kind = "bc"

[schedule]
bc_updates = 10
)";

class CliErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("cli_errors"); }
  void TearDown() override { fs::remove_all(dir_); }

  // runs `imitate args...` and checks exit code 1 and exactly one stderr line containing
  // every expected part
  void ExpectUserError(const std::vector<std::string>& args,
                       const std::vector<std::string>& expected) {
    CliResult r = RunCli(args, dir_);
    SCOPED_TRACE("stderr: " + r.err);
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line";
    EXPECT_EQ(r.err.rfind("imitate: error: ", 0), 0u);
    for (const std::string& part : expected) EXPECT_NE(r.err.find(part), std::string::npos) << part;
  }

  // writes exp.toml with `text` and expects `imitate validate exp.toml` to fail
  void ExpectInvalid(const std::string& text, const std::vector<std::string>& expected) {
    WriteFile(dir_ + "/exp.toml", text);
    ExpectUserError({"validate", "exp.toml"}, expected);
  }

  std::string With(const std::string& from, const std::string& to) {
    std::string s = kValid;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  }

  std::string dir_;
};

TEST_F(CliErrorsTest, MissingFile) { ExpectUserError({"validate", "nope.toml"}, {"nope.toml"}); }

TEST_F(CliErrorsTest, TomlSyntaxError) {
  ExpectInvalid("name = \"t\"\nseed = = 3\n", {"exp.toml:2:"});
}

TEST_F(CliErrorsTest, EmptyFile) { ExpectInvalid("", {"exp.toml", "empty"}); }

TEST_F(CliErrorsTest, BinaryFile) {
  ExpectInvalid(std::string("\x7f"
                            "ELF\x02\x01\x01\0\0\0\xff\xfe garbage",
                            20),
                {"exp.toml"});
}

TEST_F(CliErrorsTest, UnknownTopLevelKeyAndTable) {
  ExpectInvalid(With("seed = 0", "sead = 0"), {"exp.toml:2:1", "sead", "seed"});
  ExpectInvalid(std::string(kValid) + "[optimiser]\nlr = 1.0\n",
                {"exp.toml", "optimiser", "optimizer"});
}

TEST_F(CliErrorsTest, UnknownPluginKind) {
  ExpectInvalid(With("kind = \"bc\"", "kind = \"bcc\""), {"exp.toml:14:", "bcc", "bc"});
}

TEST_F(CliErrorsTest, UnknownKeyInPluginTable) {
  ExpectInvalid(With("kind = \"bc\"", "kind = \"bc\"\nlearning_rate = 0.1"),
                {"exp.toml:15:", "optimizer.learning_rate"});
}

TEST_F(CliErrorsTest, WrongType) {
  ExpectInvalid(With("bc_updates = 10", "bc_updates = \"ten\""),
                {"exp.toml:17:", "schedule.bc_updates", "integer"});
}

TEST_F(CliErrorsTest, ZeroOrNegativeCounts) {
  ExpectInvalid(With("bc_updates = 10", "eval_episodes = 0"), {"schedule.eval_episodes"});
  ExpectInvalid(With("bc_updates = 10", "batch_size = -3"), {"schedule.batch_size"});
  ExpectUserError(
      {"demos", "point_mass", "--expert", "point_mass", "--count", "0", "--out", "d.h5"},
      {"--count"});
}

TEST_F(CliErrorsTest, IntegerOverflow) {
  ExpectInvalid(With("seed = 0", "seed = 99999999999999999999"), {"exp.toml:2:"});
}

TEST_F(CliErrorsTest, ExtendsMissingFileAndCycle) {
  ExpectInvalid("extends = [\"base.toml\"]\n" + std::string(kValid), {"exp.toml:1:", "base.toml"});
  WriteFile(dir_ + "/a.toml", "extends = \"b.toml\"\n");
  WriteFile(dir_ + "/b.toml", "extends = \"a.toml\"\n");
  ExpectUserError({"validate", "a.toml"}, {"cycle", "a.toml", "b.toml"});
}

TEST_F(CliErrorsTest, BadOverride) {
  WriteFile(dir_ + "/exp.toml", kValid);
  ExpectUserError({"validate", "exp.toml", "--set", "schedule.eval_episodes=-1"},
                  {"schedule.eval_episodes"});
}

TEST_F(CliErrorsTest, MissingDemoFile) {
  WriteFile(dir_ + "/exp.toml", kValid);
  ExpectUserError({"run", "exp.toml", "--quiet"}, {"demos.h5"});
  EXPECT_FALSE(fs::exists(dir_ + "/runs/t/0"));  // a failed start leaves no run directory
}

TEST_F(CliErrorsTest, DemoFileForAnotherEnvironment) {
  {
    engine::DemoWriter writer(dir_ + "/demos.h5", "kitchen", Params());
    writer.Close();
  }
  WriteFile(dir_ + "/exp.toml", kValid);
  ExpectUserError({"run", "exp.toml", "--quiet"}, {"demos.h5", "kitchen", "point_mass"});
}

TEST_F(CliErrorsTest, CorruptDemoFile) {
  WriteFile(dir_ + "/demos.h5", std::string("\x89HDF\r\n\x1a\n", 8) + std::string(300, '\x17'));
  WriteFile(dir_ + "/exp.toml", kValid);
  ExpectUserError({"run", "exp.toml", "--quiet"}, {"demos.h5"});
}

TEST_F(CliErrorsTest, UnknownCommandAndPlugin) {
  CliResult r = RunCli({"frobnicate"}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  ExpectUserError({"plugins", "pointmass"}, {"pointmass", "point_mass"});
}

TEST_F(CliErrorsTest, HelpSucceeds) {
  for (const char* cmd : {"run", "validate", "plugins", "demos", "eval"}) {
    CliResult r = RunCli({cmd, "--help"}, dir_);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd;
  }
}

}  // namespace
}  // namespace imitate::testing
