// End to end through the CLI: make demos -> train BC -> evaluate, on point_mass with the debug
// preset. Behaviour cloning from 20 scripted demos must reach >= 90% success.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "engine/report/sinks.h"
#include "engine/report/video.h"
#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExperiment = R"(name = "e2e"
seed = 3
threads = 1

[environment]
kind = "point_mass"

[demos]
path = "demos.h5"

[encoder]
kind = "mlp"
hidden = [128]

[optimizer]
kind = "bc"
hidden = [128, 128]
lr = 1e-3
)";

TEST(QuickstartTest, DemosThenBehaviourCloningThenEval) {
  auto start = std::chrono::steady_clock::now();
  std::string dir = MakeTempDir("quickstart");

  // demos
  CliResult demos = RunCli({"demos", "point_mass", "--expert", "point_mass", "--count", "20",
                            "--seed", "1", "--out", "demos.h5"},
                           dir);
  ASSERT_EQ(demos.exit_code, 0) << demos.err;
  EXPECT_NE(demos.out.find("wrote 20 demos"), std::string::npos) << demos.out;
  ASSERT_TRUE(fs::exists(dir + "/demos.h5"));

  // an interrupted earlier run is moved aside, not overwritten
  fs::create_directories(dir + "/runs/e2e/3");
  WriteFile(dir + "/runs/e2e/3/train.csv", "old rows\n");

  // train with the debug preset
  WriteFile(dir + "/exp.toml", kExperiment);
  CliResult run = RunCli({"run", "exp.toml", "--preset", "debug", "--quiet"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string run_dir = dir + "/runs/e2e/3";
  for (const char* f : {"resolved.toml", "log.txt", "metrics.jsonl", "train.csv", "eval.csv",
                        "checkpoints/latest", "checkpoints/best", "summary.csv"}) {
    EXPECT_TRUE(fs::exists(run_dir + "/" + f)) << f;
  }

  int aside = 0;
  for (const auto& entry : fs::directory_iterator(dir + "/runs/e2e")) {
    if (entry.path().filename().string().rfind("3.interrupted-", 0) == 0) {
      ++aside;
      EXPECT_TRUE(fs::exists(entry.path() / "train.csv"));
    }
  }
  EXPECT_EQ(aside, 1);

  // the success rate of the final evaluation
  std::optional<double> success = SummaryMetric(run_dir, "success");
  ASSERT_TRUE(success.has_value()) << run_dir << "/summary.csv has no success value";
  std::printf("point_mass BC success (debug preset): %.3f\n", *success);
  EXPECT_GE(*success, 0.9);
  EXPECT_NE(run.out.find("success"), std::string::npos) << run.out;

  // eval.csv has one row per evaluation episode with the environment's metrics
  auto eval_rows = engine::ReadCsv(run_dir + "/eval.csv");
  ASSERT_GE(eval_rows.size(), 2u);
  EXPECT_NE(std::find(eval_rows[0].begin(), eval_rows[0].end(), "distance"), eval_rows[0].end());

  // the same command again reports the finished run instead of repeating it
  CliResult again = RunCli({"run", "exp.toml", "--preset", "debug", "--quiet"}, dir);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("success"), std::string::npos);

  // imitate eval reloads the checkpoint and reproduces a high success rate, with videos
  CliResult eval = RunCli({"eval", "runs/e2e/3", "--episodes", "3", "--video"}, dir);
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NE(eval.out.find("success"), std::string::npos) << eval.out;
  for (int i = 0; i < 3; ++i) {
    std::string video = engine::EpisodeVideoPath(run_dir + "/videos/eval-latest", i);
    ASSERT_TRUE(fs::exists(video)) << video;
    EXPECT_EQ(engine::CountVideoFrames(video), 76);  // the reset frame + 75 steps
  }

  // demos can be recorded too
  CliResult recorded = RunCli({"demos", "point_mass", "--expert", "point_mass", "--count", "2",
                               "--out", "two.h5", "--video", "demo_videos", "--video-size", "128"},
                              dir);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_EQ(engine::CountVideoFrames(engine::EpisodeVideoPath(dir + "/demo_videos", 1)), 76);

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("end-to-end time: %.1f s\n", seconds);
  EXPECT_LT(seconds, 60.0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace imitate::testing
