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
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
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

// lines in a file (0 when missing), optionally only those containing `text`
int64_t CountLines(const std::string& path, const std::string& text = "") {
  std::ifstream in(path);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(text) != std::string::npos;
  return n;
}

// A kill condition: `path` holds at least `lines` lines containing `text`, and then a random
// 0-150 ms more (so that kills land anywhere, checkpoint writes included).
std::function<bool()> KillAfter(const std::string& path, int64_t lines, const std::string& text,
                                std::mt19937& rng) {
  auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 150)(rng));
  auto since = std::make_shared<std::chrono::steady_clock::time_point>();
  return [=] {
    if (*since == std::chrono::steady_clock::time_point{}) {
      if (CountLines(path, text) < lines) return false;
      *since = std::chrono::steady_clock::now();
    }
    return std::chrono::steady_clock::now() - *since >= delay;
  };
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
    CliResult a = RunCli({"run", "exp.toml", "--runs-dir", "a", "--quiet"}, *dir_);
    ASSERT_EQ(a.exit_code, 0) << a.err;
  }
  static void TearDownTestSuite() { fs::remove_all(*dir_); }
  static std::string* dir_;
};
std::string* ResumeTest::dir_ = nullptr;

TEST_F(ResumeTest, KilledAndResumedRunEqualsAnUninterruptedOne) {
  // SIGKILL at moments set by the run's own progress (not the clock, which a busy machine
  // stretches): twice in the offline phases, twice online, each a random 0-150 ms late
  std::mt19937 rng(7);
  const std::string rb = *dir_ + "/b/r/0";
  const std::vector<std::tuple<std::string, int64_t, std::string>> kills_at = {
      {rb + "/train.csv", 5, ""},        // pretraining, after the checkpoint of update 10
      {rb + "/train.csv", 10, ""},       // the BC warm-up
      {rb + "/eval.csv", 4, "online"},   // online, after two evaluations
      {rb + "/eval.csv", 8, "online"}};  // online, later
  int kills = 0;
  std::string logs;
  for (const auto& [file, lines, text] : kills_at) {
    CliResult b = RunCliUntil({"run", "exp.toml", "--runs-dir", "b"}, *dir_,
                              KillAfter(file, lines, text, rng));
    logs += b.err;
    kills += b.exit_code == -1;
    ASSERT_NE(b.exit_code, 0) << "finished before the kill";
  }
  EXPECT_EQ(kills, 4) << logs;
  // the kills hit both the offline phases and the online one
  EXPECT_NE(logs.find("env step 0,"), std::string::npos) << logs;
  EXPECT_NE(logs.find("online episodes)"), std::string::npos) << logs;
  CliResult b = RunCli({"run", "exp.toml", "--runs-dir", "b"}, *dir_);
  ASSERT_EQ(b.exit_code, 0) << b.err;

  const std::string ra = *dir_ + "/a/r/0";
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
  std::mt19937 rng(11);
  const std::string rc = *dir_ + "/c/r/0";
  CliResult c = RunCliUntil({"run", "exp.toml", "--runs-dir", "c", "--quiet"}, *dir_,
                            KillAfter(rc + "/eval.csv", 4, "online", rng));
  ASSERT_EQ(c.exit_code, -1) << "finished before the kill";
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
  std::mt19937 rng(13);
  const std::string rd = *dir_ + "/d/r/0";
  CliResult d = RunCliUntil({"run", "exp.toml", "--runs-dir", "d", "--quiet"}, *dir_,
                            KillAfter(rd + "/eval.csv", 6, "online", rng));
  ASSERT_EQ(d.exit_code, -1) << "finished before the kill";
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
