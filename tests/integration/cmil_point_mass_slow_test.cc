// Learning (slow): CMIL on the point mass, through the CLI. 20 scripted demos, no rewards; the
// debug sizes (world model, ensemble, discriminator, critics, actor with its BC term). For every
// one of 3 seeds the latent policy must end within 1 cm of the target on average over 20
// evaluation episodes, and inside the 1 cm success radius in enough of them, averaged over the
// seeds:
//
// - the offline phase alone: 6000 full CMIL updates on the demos; >= 80%. Measured (BENCHMARKS.md,
//   "Point mass: the latent's precision"): 0.95 / 1.00 / 0.85 and 1.00 / 1.00 / 0.70 in two
//   sets of the 3 seeds (mean 0.92, but one seed in each set below 90%), so the bound keeps a
//   margin;
// - the full schedule: 3000 offline updates, then 4000 online env steps with 5 updates every
//   10 (the replay now the demos and the agent's own episodes); >= 90%, the issue's number.
//   Measured (BENCHMARKS.md, "Point mass: the full CMIL schedule"): 1.00 / 0.95 / 1.00.
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
bc_updates = 0
seed_steps = 0
batch_size = 16
batch_length = 16
replay_windows = "cover_ends"
eval_episodes = 20
log_every = 500
)";

// Runs the experiment above with `schedule` appended, for seeds 0-2, and checks each seed's
// final mean distance (< 1 cm) and the seeds' mean success (>= min_success).
void ExpectTheTargetOverThreeSeeds(const std::string& what, const std::string& schedule,
                                   double min_success) {
  auto start = std::chrono::steady_clock::now();
  std::string dir = MakeTempDir("cmil_point_mass");
  CliResult demos = RunCli(
      {"demos", "point_mass", "--expert", "point_mass", "--count", "20", "--out", "demos.h5"}, dir);
  ASSERT_EQ(demos.exit_code, 0) << demos.err;
  WriteFile(dir + "/exp.toml", std::string(kExperiment) + schedule);

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
    std::printf("point_mass CMIL %s, seed %s: success %.2f, distance %.4f m\n", what.c_str(), seed,
                *success, *distance);
    EXPECT_LT(*distance, 0.01) << what << ", seed " << seed;
    success_sum += *success;
  }
  EXPECT_GE(success_sum / 3, min_success) << what;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("time: %.0f s\n", seconds);
  fs::remove_all(dir);
}

TEST(CmilPointMassSlowTest, OfflinePhaseReachesTheTargetOverThreeSeeds) {
  ExpectTheTargetOverThreeSeeds("offline", "pretrain_updates = 6000\nenv_steps = 0\n", 0.8);
}

TEST(CmilPointMassSlowTest, FullScheduleReachesTheTargetOverThreeSeeds) {
  ExpectTheTargetOverThreeSeeds("full schedule",
                                "pretrain_updates = 3000\nenv_steps = 4000\ntrain_every = 10\n"
                                "updates_per_train = 5\neval_every = 1000\n"
                                "pretrain_eval_every = 1000\n",
                                0.9);
}

}  // namespace
}  // namespace imitate::testing
