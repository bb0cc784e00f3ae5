// Crash-safe resume, end to end: a small CMIL run on the point mass (every phase, one thread,
// CPU: deterministic) is killed with SIGKILL at random moments and rerun until it finishes; its
// eval and train logs and final weights must equal those of an uninterrupted run. Then: a
// corrupt latest checkpoint falls back to the previous one, and a different configuration is
// refused naming the keys.
#include <gtest/gtest.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/report/sinks.h"
#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExperiment = R"(name = "r"
seed = 0
threads = 1
[environment]
kind = "point_mass"
[demos]
path = "demos.h5"
count = 4
[encoder]
kind = "mlp"
hidden = [32]
[dynamics]
kind = "rssm_ensemble"
deter = 32
stoch = 8
hidden = 32
members = 3
[reward]
kind = "discriminator"
hidden = [32, 32]
[optimizer]
kind = "cmil"
actor_hidden = [32, 32]
critic_hidden = [32, 32]
horizon = 3
[schedule]
pretrain_updates = 40
pretrain_eval_every = 20
bc_updates = 10
seed_steps = 150
env_steps = 900
train_every = 5
eval_every = 150
eval_episodes = 2
batch_size = 8
batch_length = 8
log_every = 5
checkpoint_every = 10
)";

// a CSV without its wall_time column (the one thing that may differ)
std::vector<std::vector<std::string>> WithoutWallTime(const std::string& path) {
  auto rows = engine::ReadCsv(path);
  if (rows.empty()) return rows;
  size_t wall = 0;
  while (wall < rows[0].size() && rows[0][wall] != "wall_time") ++wall;
  for (auto& row : rows) {
    if (wall < row.size()) row.erase(row.begin() + static_cast<std::ptrdiff_t>(wall));
  }
  return rows;
}

// the archive of a checkpoint file (its 24-byte checksum trailer cut off)
void LoadArchive(const std::string& path, torch::serialize::InputArchive* archive) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 24u);
  std::istringstream payload(bytes.substr(0, bytes.size() - 24));
  archive->load_from(payload);
}

// every tensor of two archives equal, recursively (the engine's own state skipped)
int64_t CompareArchives(torch::serialize::InputArchive& a, torch::serialize::InputArchive& b,
                        const std::string& where) {
  int64_t compared = 0;
  for (const std::string& key : a.keys()) {
    if (key == "engine_state") continue;
    torch::Tensor ta, tb;
    if (a.try_read(key, ta)) {
      EXPECT_TRUE(b.try_read(key, tb)) << where << key;
      if (tb.defined()) {
        EXPECT_TRUE(torch::equal(ta, tb)) << where << key;
        ++compared;
      }
      continue;
    }
    torch::serialize::InputArchive sa, sb;
    if (a.try_read(key, sa) && b.try_read(key, sb))
      compared += CompareArchives(sa, sb, where + key + "/");
  }
  return compared;
}

class ResumeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("resume"));
    ASSERT_EQ(RunCli({"demos", "point_mass", "--expert", "point_mass", "--count", "4", "--out",
                      "demos.h5"},
                     *dir_)
                  .exit_code,
              0);
    WriteFile(*dir_ + "/exp.toml", kExperiment);
    // the uninterrupted reference
    auto start = std::chrono::steady_clock::now();
    CliResult a = RunCli({"run", "exp.toml", "--runs-dir", "a", "--quiet"}, *dir_);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  static void TearDownTestSuite() { fs::remove_all(*dir_); }
  static std::string* dir_;
  static double seconds_;
};
std::string* ResumeTest::dir_ = nullptr;
double ResumeTest::seconds_ = 0;

TEST_F(ResumeTest, KilledAndResumedRunEqualsAnUninterruptedOne) {
  // SIGKILL at random moments (each attempt re-pays the start-up: the first kills land in the
  // offline phases, later ones online), then let it finish
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  int kills = 0;
  std::string logs;
  for (double fraction : {0.2, 0.3, 0.45, 0.6}) {
    CliResult b =
        RunCli({"run", "exp.toml", "--runs-dir", "b"}, *dir_, fraction * jitter(rng) * seconds_);
    logs += b.err;
    if (b.exit_code == -1) ++kills;
    if (b.exit_code == 0) break;
  }
  EXPECT_GE(kills, 3) << "the run was too short to be killed (" << seconds_ << " s)";
  // the kills hit both the offline phases and the online one
  EXPECT_NE(logs.find("env step 0,"), std::string::npos) << logs;
  EXPECT_NE(logs.find("online episodes)"), std::string::npos) << logs;
  CliResult b = RunCli({"run", "exp.toml", "--runs-dir", "b"}, *dir_);
  ASSERT_EQ(b.exit_code, 0) << b.err;

  const std::string ra = *dir_ + "/a/r/0", rb = *dir_ + "/b/r/0";
  ASSERT_TRUE(fs::exists(rb + "/summary.csv"));
  // eval rows: continuous, no duplicates, no gaps, the same values
  auto eval_a = WithoutWallTime(ra + "/eval.csv");
  auto eval_b = WithoutWallTime(rb + "/eval.csv");
  EXPECT_GT(eval_a.size(), 10u);
  EXPECT_EQ(eval_a, eval_b);
  EXPECT_EQ(WithoutWallTime(ra + "/train.csv"), WithoutWallTime(rb + "/train.csv"));
  // the same final weights and optimiser states
  torch::serialize::InputArchive ca, cb;
  LoadArchive(ra + "/checkpoints/latest", &ca);
  LoadArchive(rb + "/checkpoints/latest", &cb);
  EXPECT_GT(CompareArchives(ca, cb, ""), 20);
}

TEST_F(ResumeTest, CorruptLatestFallsBackAndOtherConfigurationsAreRefused) {
  // stop it somewhere in the middle, after a few checkpoints
  CliResult c = RunCli({"run", "exp.toml", "--runs-dir", "c", "--quiet"}, *dir_, 0.5 * seconds_);
  ASSERT_EQ(c.exit_code, -1) << "finished before the kill";
  const std::string rc = *dir_ + "/c/r/0";
  ASSERT_TRUE(fs::exists(rc + "/checkpoints/latest.previous"));

  // a different configuration: refused, naming the key, and nothing is changed
  const auto size = fs::file_size(rc + "/eval.csv");
  CliResult other = RunCli(
      {"run", "exp.toml", "--runs-dir", "c", "--set", "optimizer.horizon=4", "--set", "threads=2"},
      *dir_);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("differing: optimizer.horizon"), std::string::npos) << other.err;
  EXPECT_EQ(other.err.find("threads"), std::string::npos) << "threads may change";
  EXPECT_EQ(fs::file_size(rc + "/eval.csv"), size);

  // a truncated latest checkpoint: the run warns, resumes from the previous one and finishes
  // with the same evaluations as the uninterrupted run
  fs::resize_file(rc + "/checkpoints/latest", fs::file_size(rc + "/checkpoints/latest") / 2);
  CliResult resumed = RunCli({"run", "exp.toml", "--runs-dir", "c"}, *dir_);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming from the previous checkpoint"), std::string::npos)
      << resumed.err;
  EXPECT_EQ(WithoutWallTime(*dir_ + "/a/r/0/eval.csv"), WithoutWallTime(rc + "/eval.csv"));
}

// A kill between the two renames of a checkpoint write leaves no `latest`, only the previous
// one (and perhaps a partial temporary file): the run resumes from the previous one.
TEST_F(ResumeTest, KillInsideACheckpointWriteResumesFromThePreviousOne) {
  CliResult d = RunCli({"run", "exp.toml", "--runs-dir", "d", "--quiet"}, *dir_, 0.5 * seconds_);
  ASSERT_EQ(d.exit_code, -1) << "finished before the kill";
  const std::string rd = *dir_ + "/d/r/0";
  ASSERT_TRUE(fs::exists(rd + "/checkpoints/latest.previous"));
  fs::remove(rd + "/checkpoints/latest");
  WriteFile(rd + "/checkpoints/latest.tmp12345", "a partial checkpoint");
  CliResult resumed = RunCli({"run", "exp.toml", "--runs-dir", "d"}, *dir_);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming from the previous checkpoint"), std::string::npos)
      << resumed.err;
  EXPECT_EQ(WithoutWallTime(*dir_ + "/a/r/0/eval.csv"), WithoutWallTime(rd + "/eval.csv"));
}

}  // namespace
}  // namespace imitate::testing
