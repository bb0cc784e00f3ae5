// `imitate eval RUN_DIR --predict` through the CLI: tiny world models trained on point_mass
// demos (pixels with the conv encoder, state with the mlp encoder) predict the demos open loop;
// the errors land in a CSV file with one row per step and key, the videos hold one frame per
// step, and a run without a world model is a one-line user error.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/report/sinks.h"
#include "engine/report/video.h"
#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kEpisodeLength = 20;  // demos of 21 steps: the reset and 20 actions

// a tiny world model; {OBS} and {ENCODER} are filled per test
constexpr const char* kWorldModel = R"(name = "wm"
seed = 0
threads = 1

[environment]
kind = "point_mass"
observation = {OBS}
episode_length = 20

[demos]
path = "demos.h5"

[encoder]
{ENCODER}

[dynamics]
kind = "rssm"
stoch = 4
deter = 16
hidden = 16

[optimizer]
kind = "world_model"

[schedule]
pretrain_updates = 3
batch_size = 3
batch_length = 10
eval_episodes = 1
log_every = 1
)";

constexpr const char* kBehaviourCloning = R"(name = "bc"
seed = 0
threads = 1

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
bc_updates = 2
batch_size = 3
batch_length = 4
eval_episodes = 1
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  return text.replace(text.find(from), from.size(), to);
}

class PredictTest : public ::testing::Test {
 protected:
  // one demo file with pixels and state for every test
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("predict"));
    CliResult demos =
        RunCli({"demos", "point_mass", "--expert", "point_mass", "--count", "3", "--seed", "1",
                "--out", "demos.h5", "--set", "observation=[\"pixels\", \"state\"]", "--set",
                "episode_length=" + std::to_string(kEpisodeLength)},
               *dir_);
    ASSERT_EQ(demos.exit_code, 0) << demos.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  // trains the experiment `text` as exp_<tag>.toml and returns its run directory
  static std::string Train(const std::string& text, const std::string& tag) {
    WriteFile(*dir_ + "/exp_" + tag + ".toml",
              Replace(text, "name = \"wm\"", "name = \"" + tag + "\""));
    CliResult run = RunCli({"run", "exp_" + tag + ".toml", "--quiet"}, *dir_);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return "runs/" + tag + "/0";
  }

  // checks the CSV: `horizon` rows per key, steps 1..horizon, finite non-negative errors
  static void ExpectCsv(const std::string& path, const std::vector<std::string>& keys,
                        int horizon) {
    auto rows = engine::ReadCsv(path);
    ASSERT_EQ(rows.size(), 1 + keys.size() * static_cast<size_t>(horizon)) << path;
    EXPECT_EQ(rows[0], (std::vector<std::string>{"step", "key", "reconstruction_mse",
                                                 "prediction_mse", "hold_last_mse"}));
    for (size_t r = 1; r < rows.size(); ++r) {
      ASSERT_EQ(rows[r].size(), 5u);
      EXPECT_EQ(std::stoi(rows[r][0]), static_cast<int>((r - 1) / keys.size()) + 1);
      EXPECT_EQ(rows[r][1], keys[(r - 1) % keys.size()]);
      for (int c : {2, 3, 4}) {
        double value = std::stod(rows[r][c]);
        EXPECT_TRUE(std::isfinite(value) && value >= 0) << rows[r][c];
      }
    }
  }

  static std::string* dir_;
};

std::string* PredictTest::dir_ = nullptr;

// The width and height of a PNG file from its IHDR chunk, after checking the signature.
std::pair<int, int> ReadPngSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[24] = {};
  in.read(reinterpret_cast<char*>(head), sizeof(head));
  const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_TRUE(in && std::equal(signature, signature + 8, head)) << path << ": not a PNG file";
  auto be32 = [&head](int at) {
    return (head[at] << 24) | (head[at + 1] << 16) | (head[at + 2] << 8) | head[at + 3];
  };
  return {be32(16), be32(20)};
}

TEST_F(PredictTest, PixelsWriteCsvTableAndVideos) {
  auto start = std::chrono::steady_clock::now();
  const std::string run = Train(Replace(Replace(kWorldModel, "{OBS}", "[\"pixels\"]"), "{ENCODER}",
                                        "kind = \"conv\"\ndepth = 4"),
                                "pixels");
  CliResult predict = RunCli({"eval", run, "--predict"}, *dir_);
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  std::printf("%s", predict.out.c_str());
  EXPECT_NE(predict.out.find("pixels open-loop"), std::string::npos) << predict.out;
  EXPECT_NE(predict.out.find("context 5, horizon 16"), std::string::npos) << predict.out;

  // the default horizon: the rest of each 21-step demo after 5 context steps
  const std::string run_dir = *dir_ + "/" + run;
  ExpectCsv(run_dir + "/predict-latest.csv", {"pixels"}, kEpisodeLength + 1 - 5);
  // one video per demo, a frame per step (context and imagined)
  for (int i = 0; i < 3; ++i) {
    std::string video = run_dir + "/videos/predict-latest/demo_" + std::to_string(i) + ".mp4";
    ASSERT_TRUE(fs::exists(video)) << video;
    EXPECT_EQ(engine::CountVideoFrames(video), kEpisodeLength + 1);
    // and a picture: 16 columns (the last context step and 15 of the 16 open-loop steps) of
    // 64-pixel images scaled to 128, each holding truth, reconstruction and imagination
    std::string picture = run_dir + "/videos/predict-latest/demo_" + std::to_string(i) + ".png";
    auto [width, height] = ReadPngSize(picture);
    EXPECT_EQ(width, 16 * 128) << picture;
    EXPECT_GT(height, 3 * 128) << picture;
    EXPECT_LT(height, 4 * 128) << picture << ": the caption bands are smaller than a panel";
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("pixels run + predict: %.1f s\n", seconds);
}

TEST_F(PredictTest, StateWithFlags) {
  const std::string run = Train(Replace(Replace(kWorldModel, "{OBS}", "[\"state\"]"), "{ENCODER}",
                                        "kind = \"mlp\"\nhidden = [16]"),
                                "state");
  CliResult predict = RunCli({"eval", run, "--predict", "--episodes", "2", "--context", "3",
                              "--horizon", "7", "--checkpoint", "best", "--demos", "demos.h5"},
                             *dir_);
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_NE(predict.out.find("on 2 demos of demos.h5, context 3, horizon 7"), std::string::npos)
      << predict.out;
  const std::string run_dir = *dir_ + "/" + run;
  ExpectCsv(run_dir + "/predict-best.csv", {"state"}, 7);
  EXPECT_FALSE(fs::exists(run_dir + "/videos/predict-best")) << "no images, no videos";

  // --start: the sequences begin later in the demos
  CliResult later = RunCli({"eval", run, "--predict", "--start", "10", "--context", "3",
                            "--horizon", "7", "--checkpoint", "best"},
                           *dir_);
  ASSERT_EQ(later.exit_code, 0) << later.err;
  EXPECT_NE(later.out.find("from step 10, context 3, horizon 7"), std::string::npos) << later.out;
  ExpectCsv(run_dir + "/predict-best.csv", {"state"}, 7);
  CliResult past_end = RunCli({"eval", run, "--predict", "--start", "20"}, *dir_);
  EXPECT_EQ(past_end.exit_code, 1);
  EXPECT_NE(past_end.err.find("--start 20 leaves none to predict"), std::string::npos)
      << past_end.err;

  // a horizon beyond the demos is a one-line error naming the file and the flag
  CliResult too_long = RunCli({"eval", run, "--predict", "--horizon", "100"}, *dir_);
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_EQ(too_long.err.find('\n'), too_long.err.size() - 1) << too_long.err;
  EXPECT_NE(too_long.err.find("demos.h5"), std::string::npos) << too_long.err;
  EXPECT_NE(too_long.err.find("--horizon 100"), std::string::npos) << too_long.err;
}

// The world model learns: after a short training run on the demos (state), its open-loop
// prediction error is well below an untrained model's, and below a fixed bound (units: the
// mlp encoder's normalised state, per element).
TEST_F(PredictTest, ShortTrainingLowersThePredictionError) {
  auto mean_prediction_error = [&](int updates, const std::string& tag) {
    std::string text = Replace(Replace(kWorldModel, "{OBS}", "[\"state\"]"), "{ENCODER}",
                               "kind = \"mlp\"\nhidden = [64]");
    text = Replace(text, "kind = \"rssm\"\nstoch = 4\ndeter = 16\nhidden = 16",
                   "kind = \"rssm_ensemble\"\nstoch = 8\ndeter = 32\nhidden = 32\nmembers = 3");
    text = Replace(text, "pretrain_updates = 3", "pretrain_updates = " + std::to_string(updates));
    text = Replace(text, "log_every = 1", "log_every = 100");
    const std::string run = Train(text, tag);
    CliResult predict =
        RunCli({"eval", run, "--predict", "--context", "5", "--horizon", "10"}, *dir_);
    EXPECT_EQ(predict.exit_code, 0) << predict.err;
    auto rows = engine::ReadCsv(*dir_ + "/" + run + "/predict-latest.csv");
    double sum = 0;
    for (size_t r = 1; r < rows.size(); ++r) sum += std::stod(rows[r][3]);
    return rows.size() > 1 ? sum / static_cast<double>(rows.size() - 1) : 1e9;
  };
  const double untrained = mean_prediction_error(0, "untrained");
  const double trained = mean_prediction_error(400, "trained");
  std::printf("mean open-loop prediction MSE: untrained %.4f, trained %.4f\n", untrained, trained);
  EXPECT_LT(trained, 0.5 * untrained) << "untrained " << untrained << ", trained " << trained;
  EXPECT_LT(trained, 0.3) << "untrained " << untrained;
}

// keep_checkpoints keeps every evaluation's checkpoint under its update count, so that
// predictions can be compared as training proceeds.
TEST_F(PredictTest, KeptCheckpointsPredictAsTrainingProceeds) {
  std::string text = Replace(Replace(kWorldModel, "{OBS}", "[\"state\"]"), "{ENCODER}",
                             "kind = \"mlp\"\nhidden = [16]");
  text = Replace(text, "pretrain_updates = 3",
                 "pretrain_updates = 4\npretrain_eval_every = 2\nkeep_checkpoints = true");
  const std::string run = Train(text, "kept");
  const std::string checkpoints = *dir_ + "/" + run + "/checkpoints/";
  for (const char* name : {"update-2", "update-4", "latest", "best"}) {
    EXPECT_TRUE(fs::is_regular_file(checkpoints + name)) << checkpoints << name;
  }
  EXPECT_FALSE(fs::exists(checkpoints + "update-2.tmp"));
  CliResult early = RunCli({"eval", run, "--predict", "--checkpoint", "update-2"}, *dir_);
  ASSERT_EQ(early.exit_code, 0) << early.err;
  EXPECT_NE(early.out.find("checkpoint update-2 (update 2)"), std::string::npos) << early.out;
  ExpectCsv(*dir_ + "/" + run + "/predict-update-2.csv", {"state"}, kEpisodeLength + 1 - 5);

  // a checkpoint the run does not have is a one-line error listing those it has
  CliResult missing = RunCli({"eval", run, "--checkpoint", "update-3"}, *dir_);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.find('\n'), missing.err.size() - 1) << missing.err;
  EXPECT_NE(missing.err.find("--checkpoint update-3"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("best, latest, update-2, update-4"), std::string::npos) << missing.err;
}

TEST_F(PredictTest, RunWithoutWorldModelIsOneLineError) {
  WriteFile(*dir_ + "/exp_bc.toml", kBehaviourCloning);
  CliResult train = RunCli({"run", "exp_bc.toml", "--quiet"}, *dir_);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  CliResult predict = RunCli({"eval", "runs/bc/0", "--predict"}, *dir_);
  EXPECT_EQ(predict.exit_code, 1);
  EXPECT_EQ(predict.err,
            "imitate: error: --predict needs a world model: runs/bc/0/resolved.toml has no "
            "[dynamics] table\n");

  // the prediction flags need --predict
  CliResult flag = RunCli({"eval", "runs/bc/0", "--context", "3"}, *dir_);
  EXPECT_EQ(flag.exit_code, 1);
  EXPECT_NE(flag.err.find("--predict"), std::string::npos) << flag.err;
}

}  // namespace
}  // namespace imitate::testing
