// `imitate batch` and `imitate report` end to end: a 2 x 2-seed grid of tiny BC runs on the
// point mass, run two at a time, with a point that fails (retried, then reported), a rerun that
// skips what finished, --list, --slurm, and the report's table and plot.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExperiment = R"(name = "bc"
threads = 1
[environment]
kind = "point_mass"
[demos]
path = "demos.h5"
[encoder]
kind = "mlp"
hidden = [32]
[optimizer]
kind = "bc"
hidden = [32]
[schedule]
bc_updates = 40
eval_episodes = 2
log_every = 10
)";

// two learning rates that run, and a demo file that does not exist (fails at run time)
constexpr const char* kBatch = R"(
base = "exp.toml"
name = "tiny"
seeds = [0, 1]
retries = 1
threads = 1
[grid]
demos.path = ["demos.h5", "missing.h5"]
optimizer.lr = [1e-3, 3e-3]
)";

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(BatchCliTest, RunsSkipsRetriesReportsAndWritesSlurm) {
  std::string dir = MakeTempDir("batch");
  ASSERT_EQ(
      RunCli({"demos", "point_mass", "--expert", "point_mass", "--count", "4", "--out", "demos.h5"},
             dir)
          .exit_code,
      0);
  WriteFile(dir + "/exp.toml", kExperiment);
  WriteFile(dir + "/batch.toml", kBatch);
  const std::string good = "path=demos.h5,lr=0.001";
  const std::string bad = "path=missing.h5,lr=0.001";

  // --list: every run, nothing run
  CliResult list = RunCli({"batch", "batch.toml", "--list"}, dir);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("8 runs (4 points x 2 seeds)"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("runs/tiny/" + good + "/1"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("--set optimizer.lr=0.003"), std::string::npos) << list.out;
  EXPECT_FALSE(fs::exists(dir + "/runs/tiny/" + good));

  // --only: the points whose names contain the text
  CliResult only = RunCli({"batch", "batch.toml", "--list", "--only", "lr=0.003"}, dir);
  ASSERT_EQ(only.exit_code, 0) << only.err;
  EXPECT_NE(only.out.find("4 runs"), std::string::npos) << only.out;
  EXPECT_EQ(only.out.find("lr=0.001"), std::string::npos) << only.out;
  CliResult none = RunCli({"batch", "batch.toml", "--only", "nothing"}, dir);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("--only nothing: no point"), std::string::npos) << none.err;

  // --slurm: a script, nothing run
  CliResult slurm = RunCli({"batch", "batch.toml", "--slurm", "tiny.sh"}, dir);
  ASSERT_EQ(slurm.exit_code, 0) << slurm.err;
  std::string script = ReadText(dir + "/tiny.sh");
  EXPECT_NE(script.find("#SBATCH --array=0-7\n"), std::string::npos) << script;
  EXPECT_EQ(Count(script, "exec \"$IMITATE\" 'run'"), 8);
  EXPECT_TRUE(fs::exists(dir + "/runs/tiny/batch.toml"));

  // run two at a time: the good points finish, the bad ones fail twice each
  CliResult run = RunCli({"batch", "batch.toml", "-j", "2"}, dir);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("4 finished, 0 skipped (finished before), 4 failed"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("FAILED " + bad + " seed 0 after 2 attempt(s)"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("missing.h5"), std::string::npos) << "the failure's reason";
  EXPECT_NE(run.err.find("      | imitate: error: "), std::string::npos) << "the log's last lines";
  for (int seed : {0, 1}) {
    EXPECT_TRUE(
        fs::exists(dir + "/runs/tiny/" + good + "/" + std::to_string(seed) + "/summary.csv"));
  }
  std::string bad_log = ReadText(dir + "/runs/tiny/logs/" + bad + ".seed0.log");
  EXPECT_EQ(Count(bad_log, "=== attempt"), 2) << bad_log;

  // the report at the end: one row per finished configuration, and the curves plot
  EXPECT_NE(run.out.find("path=demos.h5,lr=0.001"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("path=demos.h5,lr=0.003"), std::string::npos) << run.out;
  EXPECT_TRUE(fs::exists(dir + "/runs/tiny/report/report.md"));
  EXPECT_TRUE(fs::exists(dir + "/runs/tiny/report/report.csv"));
  ASSERT_TRUE(fs::exists(dir + "/runs/tiny/report/curves_success.png"));
  EXPECT_GT(fs::file_size(dir + "/runs/tiny/report/curves_success.png"), 2000u);

  // a rerun skips the finished runs
  CliResult again = RunCli({"batch", "batch.toml", "-j", "2", "--no-report"}, dir);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("0 finished, 4 skipped (finished before), 4 failed"), std::string::npos)
      << again.err;

  // the batch file edited after its runs finished: refused, naming the run and the key
  {
    std::string edited = kBatch;
    edited.insert(edited.find("[grid]"), "set = [\"schedule.eval_episodes=3\"]\n");
    WriteFile(dir + "/batch.toml", edited);
  }
  CliResult edited = RunCli({"batch", "batch.toml", "--list"}, dir);
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.err.find("finished with a different configuration (differing: "
                            "schedule.eval_episodes)"),
            std::string::npos)
      << edited.err;

  // a bad grid key is caught before anything runs, naming the point and the key
  WriteFile(dir + "/typo.toml", "base = \"exp.toml\"\n[grid]\noptimizer.lrr = [1e-3]\n");
  CliResult typo = RunCli({"batch", "typo.toml"}, dir);
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("lrr"), std::string::npos) << typo.err;
  EXPECT_EQ(Count(typo.err, "\n"), 1) << typo.err;
  EXPECT_FALSE(fs::exists(dir + "/runs/typo"));
}

}  // namespace
}  // namespace imitate::testing
