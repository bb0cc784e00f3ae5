// Learning (slow): CMIL's offline phase on the point mass, through the CLI. 20 scripted demos,
// no rewards; 6000 full CMIL updates on the demos alone (world model, ensemble, discriminator,
// critics, actor with its BC term) at the debug sizes; the latent policy must then end within
// 1 cm of the target on average for every seed, and inside the 1 cm success radius in >= 80%
// of 20 evaluation episodes averaged over 3 seeds. Measured (BENCHMARKS.md, "Point mass: the
// latent's precision"): 0.95 / 1.00 / 0.85 and 1.00 / 1.00 / 0.70 in two sets of the 3 seeds
// (mean 0.92, the issue's 90%, but one seed in each set below it), so the bound keeps a margin.
//
// Two settings make a 6-number state learnable through the latent (both measured there): a
// small KL scale, so that encoding positions to millimetres is worth its KL cost, and a small
// posterior std floor, so that a sampled latent does not blur them to about a centimetre.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExperiment = R"(name = "cmil"
threads = 1

[environment]
kind = "point_mass"

[demos]
path = "demos.h5"

[encoder]
kind = "mlp"

[dynamics]
kind = "rssm_ensemble"
deter = 64
stoch = 16
hidden = 64
members = 3
kl_scale = 0.001
min_std = 0.01

[reward]
kind = "discriminator"
hidden = [64, 64]

[optimizer]
kind = "cmil"
actor_hidden = [128, 128]
critic_hidden = [128, 128]
horizon = 5
evaluate_with = "mode"

[schedule]
pretrain_updates = 6000
bc_updates = 0
seed_steps = 0
env_steps = 0
batch_size = 16
batch_length = 16
replay_windows = "cover_ends"
eval_episodes = 20
log_every = 500
)";

TEST(CmilPointMassSlowTest, OfflinePhaseReachesTheTargetOverThreeSeeds) {
  auto start = std::chrono::steady_clock::now();
  std::string dir = MakeTempDir("cmil_point_mass");
  CliResult demos = RunCli(
      {"demos", "point_mass", "--expert", "point_mass", "--count", "20", "--out", "demos.h5"}, dir);
  ASSERT_EQ(demos.exit_code, 0) << demos.err;
  WriteFile(dir + "/exp.toml", kExperiment);

  // three seeds: the result is the method's, not one initialisation's
  double success_sum = 0;
  for (const char* seed : {"0", "1", "2"}) {
    CliResult run =
        RunCli({"run", "exp.toml", "--set", std::string("seed=") + seed, "--quiet"}, dir);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string run_dir = dir + "/runs/cmil/" + seed;
    const std::optional<double> success = SummaryMetric(run_dir, "success");
    const std::optional<double> distance = SummaryMetric(run_dir, "distance");
    ASSERT_TRUE(success && distance) << run_dir << "/summary.csv lacks success or distance";
    std::printf("point_mass CMIL offline, seed %s: success %.2f, distance %.4f m\n", seed, *success,
                *distance);
    EXPECT_LT(*distance, 0.01) << "seed " << seed;
    success_sum += *success;
  }
  EXPECT_GE(success_sum / 3, 0.8);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("time: %.0f s\n", seconds);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace imitate::testing
