#include "engine/checkpoint/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/config/experiment.h"
#include "engine/run/agent.h"
#include "imitate/sdk/errors.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;

// a bc + mlp agent on a 6-D state, built through the real plugins
class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("imitate_checkpoint_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "exp.toml") << R"(
[environment]
kind = "point_mass"
[demos]
path = "unused.h5"
[encoder]
kind = "mlp"
hidden = [32]
[optimizer]
kind = "bc"
hidden = [32]
)";
    experiment_ = LoadExperiment({(dir_ / "exp.toml").string(), {}, {}}, registry_);
    space_["state"] = Space{torch::kFloat32, {6}, -1e9, 1e9};
    action_ = Space{torch::kFloat32, {2}, -1, 1};
  }
  void TearDown() override { fs::remove_all(dir_); }

  Agent Make(uint64_t seed) {
    return BuildAgent(experiment_, registry_, space_, action_, torch::kCPU, seed);
  }

  torch::Tensor ActOn(Agent& agent, const torch::Tensor& state) {
    TensorMap carry = agent.optimizer->InitialCarry(1);
    return agent.optimizer->Act({{"state", state}}, torch::ones({1}, torch::kBool), carry,
                                ActMode::kEvaluate);
  }

  const Registry& registry_ = test_support::BuiltPlugins();
  fs::path dir_;
  Experiment experiment_;
  ObservationSpace space_;
  Space action_;
};

TEST_F(CheckpointTest, RoundTripRestoresWeightsAndCounters) {
  Agent a = Make(1);
  Agent b = Make(2);  // different initial weights
  torch::Tensor state = torch::rand({1, 6});
  ASSERT_FALSE(torch::equal(ActOn(a, state), ActOn(b, state)));

  std::string path = (dir_ / "latest").string();
  SaveCheckpoint(path, a, {Counters{12, 345, 6}, "engine state\nwith lines"});
  CheckpointState loaded = LoadCheckpoint(path, b);
  const Counters& c = loaded.counters;
  EXPECT_EQ(loaded.engine, "engine state\nwith lines");
  EXPECT_EQ(c.updates, 12);
  EXPECT_EQ(c.env_steps, 345);
  EXPECT_EQ(c.episodes, 6);
  EXPECT_TRUE(torch::equal(ActOn(a, state), ActOn(b, state)));

  // nothing but the checkpoint is left behind (the temporary file was renamed)
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) files += entry.path() != dir_ / "exp.toml";
  EXPECT_EQ(files, 1);
}

TEST_F(CheckpointTest, BytesCarryTheStateAndTheChecksumComparesIt) {
  // an agent with Adam moments (keyed by parameter addresses, which differ between agents)
  Agent a = Make(1);
  Batch batch;
  batch.observation["state"] = torch::rand({4, 3, 6});
  batch.action = torch::rand({4, 3, 2}) * 2 - 1;
  batch.reward = torch::zeros({4, 3});
  batch.is_first = torch::zeros({4, 3}, torch::kBool);
  batch.is_first.select(1, 0).fill_(true);
  batch.is_last = torch::zeros({4, 3}, torch::kBool);
  batch.is_terminal = torch::zeros({4, 3}, torch::kBool);
  a.optimizer->Update(Phase::kBehaviorCloning, batch, batch);

  // rank 0's bytes make another agent the same, checksum included
  Agent b = Make(2);
  EXPECT_NE(AgentStateChecksum(a), AgentStateChecksum(b));
  CheckpointState loaded =
      LoadCheckpointBytes(CheckpointBytes(a, {Counters{3, 4, 5}, "text"}), b, "rank 0");
  EXPECT_EQ(loaded.counters.updates, 3);
  EXPECT_EQ(loaded.engine, "text");
  EXPECT_EQ(AgentStateChecksum(a), AgentStateChecksum(b));
  torch::Tensor state = torch::rand({1, 6});
  EXPECT_TRUE(torch::equal(ActOn(a, state), ActOn(b, state)));

  // one more update on one of them: the states differ again
  b.optimizer->Update(Phase::kBehaviorCloning, batch, batch);
  EXPECT_NE(AgentStateChecksum(a), AgentStateChecksum(b));
  EXPECT_THROW(LoadCheckpointBytes("not an archive", b, "rank 0"), DataError);
}

TEST_F(CheckpointTest, OverwritesAtomically) {
  Agent a = Make(1);
  std::string path = (dir_ / "latest").string();
  SaveCheckpoint(path, a, {Counters{1, 0, 0}, ""});
  SaveCheckpoint(path, a, {Counters{2, 0, 0}, ""});
  EXPECT_EQ(LoadCheckpoint(path, a).counters.updates, 2);
  EXPECT_FALSE(fs::exists(PreviousCheckpoint(path)));
  // keeping the previous one
  SaveCheckpoint(path, a, {Counters{3, 0, 0}, ""}, /*keep_previous=*/true);
  EXPECT_EQ(LoadCheckpoint(path, a).counters.updates, 3);
  EXPECT_EQ(LoadCheckpoint(PreviousCheckpoint(path), a).counters.updates, 2);
}

// A truncated checkpoint, or one with a flipped byte, fails its checksum.
TEST_F(CheckpointTest, TruncatedOrFlippedCheckpointFailsItsChecksum) {
  Agent a = Make(1);
  std::string path = (dir_ / "latest").string();
  SaveCheckpoint(path, a, {Counters{1, 0, 0}, "x"});
  const auto size = fs::file_size(path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto message = [&](const std::string& contents) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    try {
      LoadCheckpoint(path, a);
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message(bytes.substr(0, size / 2)).find("truncated"), std::string::npos);
  std::string flipped = bytes;
  flipped[size / 3] = static_cast<char>(flipped[size / 3] ^ 0x10);
  EXPECT_NE(message(flipped).find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(message(bytes), "(no error)");
}

TEST_F(CheckpointTest, MissingOrCorruptCheckpointIsADataErrorNamingTheFile) {
  Agent a = Make(1);
  std::string missing = (dir_ / "nope").string();
  try {
    LoadCheckpoint(missing, a);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos);
  }
  std::string corrupt = (dir_ / "corrupt").string();
  std::ofstream(corrupt) << "definitely not a zip archive";
  try {
    LoadCheckpoint(corrupt, a);
    FAIL() << "no error";
  } catch (const DataError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(corrupt), std::string::npos);
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST_F(CheckpointTest, CheckpointOfAnotherArchitectureIsADataError) {
  Agent a = Make(1);
  std::string path = (dir_ / "latest").string();
  SaveCheckpoint(path, a, {});
  experiment_ =
      LoadExperiment({(dir_ / "exp.toml").string(), {}, {"encoder.hidden=[64, 64]"}}, registry_);
  Agent wider = Make(1);
  EXPECT_THROW(LoadCheckpoint(path, wider), DataError);
}

}  // namespace
}  // namespace imitate::engine
