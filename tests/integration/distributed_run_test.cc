// `imitate run FILE --nproc 2` end to end: a tiny point-mass world model trained by two ranks
// (offline, then online with each rank's own environment) finishes; rank 0 alone writes the run
// directory (one eval.csv, no duplicated rows); both ranks end with the same weights and
// optimiser states (the checksums rank 0 logs and rank 1 prints agree). An optimizer that does
// not average its gradients (bc's own Adam) is caught instead of silently training apart, and
// a run directory rank 0 refuses stops every rank.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/report/sinks.h"
#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kWorldModel = R"(name = "ddp"
seed = 0
threads = 2

[environment]
kind = "point_mass"
episode_length = 20

[demos]
path = "demos.h5"

[encoder]
kind = "mlp"
hidden = [16]

[dynamics]
kind = "rssm"
stoch = 4
deter = 16
hidden = 16

[optimizer]
kind = "world_model"

[schedule]
pretrain_updates = 4
seed_steps = 10
env_steps = 40
train_every = 5
updates_per_train = 1
checkpoint_every = 10
batch_size = 3
batch_length = 8
eval_episodes = 2
log_every = 1
)";

constexpr const char* kBehaviourCloning = R"(name = "ddp-bc"
seed = 0
threads = 2

[environment]
kind = "point_mass"
episode_length = 20

[demos]
path = "demos.h5"

[encoder]
kind = "mlp"
hidden = [16]

[optimizer]
kind = "bc"
hidden = [16]

[schedule]
bc_updates = 3
batch_size = 3
batch_length = 4
eval_episodes = 1
)";

class DistributedRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("distributed"));
    CliResult demos = RunCli({"demos", "point_mass", "--expert", "point_mass", "--count", "3",
                              "--seed", "1", "--out", "demos.h5", "--set", "episode_length=20"},
                             *dir_);
    ASSERT_EQ(demos.exit_code, 0) << demos.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string* dir_;
};
std::string* DistributedRunTest::dir_ = nullptr;

TEST_F(DistributedRunTest, TwoRanksTrainOneRunAndAgree) {
  WriteFile(*dir_ + "/wm.toml", kWorldModel);
  CliResult run = RunCli({"run", "wm.toml", "--nproc", "2"}, *dir_, /*kill_after_seconds=*/120);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string run_dir = *dir_ + "/runs/ddp/0";

  // rank 0 reports once; the run is finished
  EXPECT_EQ(run.out.find("mean over 2 evaluation episodes"),
            run.out.rfind("mean over 2 evaluation episodes"));
  EXPECT_THAT(run.out, HasSubstr("mean over 2 evaluation episodes"));
  EXPECT_TRUE(fs::exists(run_dir + "/summary.csv"));
  const std::string log = ReadText(run_dir + "/log.txt");
  EXPECT_THAT(log, HasSubstr("2 ranks: batch 3 per rank, 6 in all"));

  // one eval.csv: every (update, episode) once, eval_episodes rows per evaluation
  auto rows = engine::ReadCsv(run_dir + "/eval.csv");
  ASSERT_GE(rows.size(), 3u);
  const auto& header = rows[0];
  const size_t update = std::find(header.begin(), header.end(), "update") - header.begin();
  const size_t episode = std::find(header.begin(), header.end(), "episode") - header.begin();
  ASSERT_LT(episode, header.size());
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_TRUE(seen.insert({rows[i][update], rows[i][episode]}).second) << "duplicate row " << i;
  }
  EXPECT_EQ((rows.size() - 1) % 2, 0u);
  // the online episodes rank 0 saved: 40 steps of 20-step episodes
  EXPECT_TRUE(fs::exists(run_dir + "/replay/000001.pt"));
  EXPECT_FALSE(fs::exists(run_dir + "/replay/000002.pt"));

  // the same state on both ranks: rank 0's logged checksum and rank 1's printed one
  // (4 offline + 30 / 5 online updates)
  std::smatch root, other;
  const std::regex root_line(
      "2 ranks hold the same state at the end \\(update 10, checksum "
      "([0-9a-f]{8})\\)");
  const std::regex other_line("\\[rank 1\\] state at the end: update 10, checksum ([0-9a-f]{8})");
  ASSERT_TRUE(std::regex_search(log, root, root_line)) << log;
  ASSERT_TRUE(std::regex_search(run.err, other, other_line)) << run.err;
  EXPECT_EQ(root[1].str(), other[1].str());
  // also checked at every checkpoint_every steps
  EXPECT_THAT(log, HasSubstr("2 ranks hold the same state in online (update 6"));

  // run again: rank 0 reports the finished run and the other rank follows; with another
  // configuration rank 0 refuses it, and the other rank stops too instead of waiting
  CliResult again = RunCli({"run", "wm.toml", "--nproc", "2"}, *dir_, 60);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("already finished"));
  CliResult changed =
      RunCli({"run", "wm.toml", "--nproc", "2", "--set", "schedule.eval_episodes=3"}, *dir_, 60);
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_THAT(changed.err, HasSubstr("[rank 0] imitate: error: "));
  EXPECT_THAT(changed.err, HasSubstr("differing: schedule.eval_episodes"));
  EXPECT_THAT(changed.err, HasSubstr("[rank 1] imitate: error: rank 0 could not start the run"));
}

// bc steps with its own Adam: it averages its gradients too, so the ranks agree
TEST_F(DistributedRunTest, BehaviourCloningTrainsAcrossTwoRanks) {
  WriteFile(*dir_ + "/bc.toml", kBehaviourCloning);
  CliResult run = RunCli({"run", "bc.toml", "--nproc", "2"}, *dir_, /*kill_after_seconds=*/120);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, Not(HasSubstr("differ")));
  EXPECT_THAT(run.err, HasSubstr("[rank 1] state"));
  EXPECT_TRUE(fs::exists(*dir_ + "/runs/ddp-bc/0/summary.csv"));
}

TEST_F(DistributedRunTest, NprocInsideARankIsRefused) {
  WriteFile(*dir_ + "/wm.toml", kWorldModel);
  setenv("RANK", "0", 1);
  setenv("WORLD_SIZE", "2", 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", "1", 1);
  CliResult run = RunCli({"run", "wm.toml", "--nproc", "2"}, *dir_, 60);
  for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) unsetenv(name);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("already rank 0 of 2"));
}

}  // namespace
}  // namespace imitate::testing
