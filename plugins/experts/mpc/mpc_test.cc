// Tests of the mpc expert: the MPPI pieces on hand-computed examples, the absorbing-terminal
// rule on a tiny fake environment, planning on the real point_mass plugin (better than random,
// the same actions on any thread count), its errors, and `imitate demos` with it.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"
#include "imitate/sdk/planning.h"
#include "plugins/experts/mpc/mpc_expert.h"
#include "plugins/experts/mpc/mppi.h"
#include "tests/integration/cli_runner.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::mpc {
namespace {

using Given = std::map<std::string, ParamValue>;

// The expert compiled into this test (to read its statistics), with `given` parameters.
std::unique_ptr<MpcExpert> MakeMpc(const Given& given = {}) {
  return std::make_unique<MpcExpert>(Params::Make("expert", MpcExpert::Specs(), given));
}

// The built point_mass plugin.
std::unique_ptr<Environment> MakePointMass(const Given& given = {}) {
  return test_support::MakePlugin<Environment>("point_mass", "environment", given);
}

// A 1-D fake: x += action; step k (from 1) has reward k; the episode ends at step `limit`
// (time limit) or at step `terminal_at` (terminal). Stepping after the end throws.
class LineWorld : public Environment {
 public:
  LineWorld(int limit, int terminal_at) : limit_(limit), terminal_at_(terminal_at) {
    action_spec_ = Space{torch::kFloat32, {1}, -1.0, 1.0};
    observation_spec_["state"] = Space{torch::kFloat32, {1}, -10.0, 10.0};
    state_ = torch::zeros({1}, torch::kFloat32);
    timestep_.observation["state"] = state_;
  }
  const ObservationSpace& ObservationSpec() const override { return observation_spec_; }
  const Space& ActionSpec() const override { return action_spec_; }
  int64_t EpisodeLength() const override { return limit_; }
  const TimeStep& Reset(uint64_t /*seed*/) override {
    SetState({0.0, 0.0});
    timestep_.reward = 0.0;
    timestep_.is_first = true;
    timestep_.is_last = false;
    timestep_.is_terminal = false;
    return timestep_;
  }
  const TimeStep& Step(const torch::Tensor& action) override {
    if (ended_) throw UsageError("line_world: Step after the end");
    x_ += action.data_ptr<float>()[0];
    ++k_;
    const bool terminal = k_ == terminal_at_;
    ended_ = terminal || k_ >= limit_;
    timestep_.reward = static_cast<double>(k_);
    timestep_.is_first = false;
    timestep_.is_last = ended_;
    timestep_.is_terminal = terminal;
    state_.data_ptr<float>()[0] = static_cast<float>(x_);
    return timestep_;
  }
  torch::Tensor Render(const std::string&, int, int) override { return {}; }
  std::vector<std::string> Cameras() const override { return {}; }
  SimState GetState() const override { return {x_, static_cast<double>(k_)}; }
  void SetState(const SimState& s) override {
    x_ = s[0];
    k_ = static_cast<int>(s[1]);
    ended_ = k_ >= limit_;
  }

 protected:
  int limit_;
  int terminal_at_;

 private:
  double x_ = 0.0;
  int k_ = 0;
  bool ended_ = false;
  ObservationSpace observation_spec_;
  Space action_spec_;
  torch::Tensor state_;
  TimeStep timestep_;
};

// The same fake, offering planning copies.
class PlanningLineWorld final : public LineWorld, public PlanningEnvironment {
 public:
  using LineWorld::LineWorld;
  std::unique_ptr<Environment> CloneForPlanning() const override {
    return std::make_unique<LineWorld>(limit_, terminal_at_);
  }
};

// --- the pure pieces ---

TEST(Mppi, FilterMatchesAHandComputedExample) {
  // one candidate, H = 4, A = 1, beta = 0.5, past = 0.4
  const PlanShape shape{1, 4, 1};
  const double mean[] = {0.2, 0.0, -0.2, 0.0};
  const double noise[] = {0.2, 1.0, 3.0, -1.0};
  const double past[] = {0.4};
  double u[4];
  FilterCandidates(shape, mean, past, noise, 0.5, -1.0, 1.0, u);
  // u0 = .5(.4) + .5(.4) = .4; u1 = .5(1) + .5(.4) = .7; u2 = .5(2.8) + .5(.7) = 1.75 -> 1;
  // u3 = .5(-1) + .5(1.75) = .375 (the recursion runs on the unclipped 1.75)
  EXPECT_DOUBLE_EQ(u[0], 0.4);
  EXPECT_DOUBLE_EQ(u[1], 0.7);
  EXPECT_DOUBLE_EQ(u[2], 1.0);
  EXPECT_DOUBLE_EQ(u[3], 0.375);
}

TEST(Mppi, FilterKeepsActionDimensionsApartAcrossCandidates) {
  // two candidates, H = 2, A = 2, beta = 1: u = mean + eps, clipped to [-0.5, 0.5]
  const PlanShape shape{2, 2, 2};
  const double mean[] = {0.1, -0.1, 0.2, -0.2};
  const double noise[] = {0.0, 0.0, 0.0, 0.0, 0.3, 0.3, 0.9, -0.9};
  const double past[] = {5.0, 5.0};
  double u[8];
  FilterCandidates(shape, mean, past, noise, 1.0, -0.5, 0.5, u);
  const double expected[] = {0.1, -0.1, 0.2, -0.2, 0.4, 0.2, 0.5, -0.5};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(u[i], expected[i], 1e-12) << i;
}

TEST(Mppi, WeightsEffectiveSampleSizeAndWeightedMean) {
  // kappa = 1, R = {0, -ln 2, -inf, nan}: w = {1, 0.5, 0, 0}, ESS = 1.5^2 / 1.25 = 1.8
  const double returns[] = {0.0, -std::log(2.0), -INFINITY, NAN};
  double w[4];
  EXPECT_NEAR(RewardWeights(returns, 4, 1.0, w), 1.8, 1e-12);
  EXPECT_NEAR(w[0], 1.0, 1e-12);
  EXPECT_NEAR(w[1], 0.5, 1e-12);
  EXPECT_EQ(w[2], 0.0);
  EXPECT_EQ(w[3], 0.0);
  // mean of sequences {1, 10}, {4, 40} with weights 1 and 0.5: {2, 20}
  const double sequences[] = {1.0, 10.0, 4.0, 40.0, 99.0, 99.0, 99.0, 99.0};
  double mean[2] = {0.0, 0.0};
  WeightedMean(sequences, w, 4, 2, mean);
  EXPECT_NEAR(mean[0], 2.0, 1e-12);
  EXPECT_NEAR(mean[1], 20.0, 1e-12);
  // no finite return: weights 0, the mean unchanged
  const double bad[] = {NAN, -INFINITY};
  EXPECT_EQ(RewardWeights(bad, 2, 1.0, w), 0.0);
  WeightedMean(sequences, w, 2, 2, mean);
  EXPECT_NEAR(mean[0], 2.0, 1e-12);
}

TEST(Mppi, LowNoiseCandidatesAreTheLastFraction) {
  EXPECT_EQ(LowNoiseCount(300, 0.1), 30);
  EXPECT_EQ(LowNoiseCount(7, 0.0), 0);
  EXPECT_EQ(LowNoiseCount(7, 1.0), 7);
  // 100 candidates of 500 values: the last 20 have std 0.9 * 0.3, the others 0.9
  const PlanShape shape{100, 50, 10};
  std::vector<double> noise(static_cast<size_t>(shape.TotalSize()));
  std::mt19937_64 rng(3);
  std::normal_distribution<double> gaussian;
  DrawNoise(shape, 0.9, 0.2, 0.3, rng, gaussian, noise.data());
  auto rms = [&](int from, int to) {
    double sum = 0;
    for (int i = from * 500; i < to * 500; ++i) sum += noise[i] * noise[i];
    return std::sqrt(sum / ((to - from) * 500));
  };
  EXPECT_NEAR(rms(0, 80), 0.9, 0.02);
  EXPECT_NEAR(rms(80, 100), 0.27, 0.01);
}

TEST(Mppi, TerminalStepIsAbsorbingAndTimeLimitStops) {
  torch::Tensor action = torch::zeros({1}, torch::kFloat32);
  const double actions[] = {0.1, 0.2, 0.3, 0.4, 0.5};
  // terminal at step 2 of a horizon of 5: 1 + 2, then 2 for each of the 3 remaining steps
  LineWorld terminal(100, 2);
  terminal.Reset(0);
  RolloutResult r = RolloutReturn(terminal, actions, 5, 1, action);
  EXPECT_DOUBLE_EQ(r.value, 1 + 2 + 3 * 2);
  EXPECT_EQ(r.steps, 2);
  // the time limit at step 3: 1 + 2 + 3, nothing after (stepping on would throw)
  LineWorld limited(3, -1);
  limited.Reset(0);
  r = RolloutReturn(limited, actions, 5, 1, action);
  EXPECT_DOUBLE_EQ(r.value, 1 + 2 + 3);
  EXPECT_EQ(r.steps, 3);
  // from a later state: steps 3 and 4 of the episode, terminal at 4, horizon 4
  LineWorld later(100, 4);
  later.SetState({0.0, 2.0});
  r = RolloutReturn(later, actions, 4, 1, action);
  EXPECT_DOUBLE_EQ(r.value, 3 + 4 + 2 * 4);
  // the actions were written into the preallocated tensor
  EXPECT_FLOAT_EQ(action.data_ptr<float>()[0], 0.2f);
}

// --- the expert ---

TEST(MpcExpert, IsGenericAndRejectsBadParameters) {
  auto expert = test_support::MakePlugin<Expert>("mpc", "expert");
  EXPECT_EQ(expert->SupportedEnvironments(), (std::vector<std::string>{"*"}));
  EXPECT_THROW(test_support::MakePlugin<Expert>("mpc", "expert", {{"samples", int64_t{0}}}),
               ConfigError);
  EXPECT_THROW(test_support::MakePlugin<Expert>("mpc", "expert", {{"beta", 1.5}}), ConfigError);
}

TEST(MpcExpert, NamesAnEnvironmentWithoutPlanningCopies) {
  auto expert = test_support::MakePlugin<Expert>("mpc", "expert");
  LineWorld env(10, -1);
  const TimeStep& first = env.Reset(0);
  std::string message = test_support::ErrorOf([&] { expert->Reset(env, first, 0); });
  EXPECT_NE(message.find("LineWorld"), std::string::npos) << message;
  EXPECT_NE(message.find("PlanningEnvironment"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_THROW(expert->Reset(env, first, 0), ConfigError);
}

TEST(MpcExpert, PlansOnAFakePlanningEnvironment) {
  // reward k per step regardless of the action: every candidate ties, the plan stays in bounds
  PlanningLineWorld env(5, -1);
  auto expert =
      MakeMpc({{"samples", int64_t{8}}, {"horizon", int64_t{3}}, {"threads", int64_t{2}}});
  const TimeStep* step = &env.Reset(0);
  expert->Reset(env, *step, 1);
  int steps = 0;
  while (!step->is_last) {
    torch::Tensor a = expert->Act(env, *step);
    ASSERT_EQ(a.sizes(), (std::vector<int64_t>{1}));
    EXPECT_LE(std::abs(a.item<float>()), 1.0f);
    step = &env.Step(a);
    ++steps;
  }
  EXPECT_EQ(steps, 5);
  EXPECT_EQ(expert->workers(), 2);
  // the last step's rollouts stopped at the time limit: 5 only
  EXPECT_DOUBLE_EQ(expert->last_stats().best_return, 5.0);
}

// The return of one point_mass episode under `act` (called with the current step).
template <typename Act>
double Episode(Environment& env, uint64_t seed, Act act) {
  const TimeStep* step = &env.Reset(seed);
  double total = 0.0;
  while (!step->is_last) {
    step = &env.Step(act(*step));
    total += step->reward;
  }
  return total;
}

TEST(MpcExpert, BeatsRandomActionsOnPointMass) {
  auto env = MakePointMass({{"episode_length", int64_t{25}}});
  auto expert = MakeMpc({{"samples", int64_t{64}}, {"threads", int64_t{2}}});
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  double mpc = 0.0, random = 0.0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    random += Episode(*env, seed, [&](const TimeStep&) {
      return torch::tensor({uniform(rng), uniform(rng)}, torch::kFloat32);
    });
    bool first = true;
    mpc += Episode(*env, seed, [&](const TimeStep& step) {
      if (first) expert->Reset(*env, step, seed);
      first = false;
      return expert->Act(*env, step);
    });
  }
  std::printf("point_mass, 3 episodes of 25 steps: return %.3f (mpc) vs %.3f (random)\n", mpc,
              random);
  EXPECT_GT(mpc, random + 1.0);
  EXPECT_GT(expert->last_stats().effective_samples, 0.99);
  EXPECT_LE(expert->last_stats().effective_samples, 64.0);
}

// The first `steps` actions of the mpc expert on point_mass episode `seed`, with `threads`.
std::vector<float> Actions(int64_t threads, uint64_t seed, int steps) {
  auto env = MakePointMass({{"episode_length", int64_t{steps}}});
  auto expert = MakeMpc({{"samples", int64_t{40}},
                         {"threads", threads},
                         {"iterations", int64_t{2}},
                         {"action_noise", 0.1}});
  const TimeStep* step = &env->Reset(3);
  expert->Reset(*env, *step, seed);
  std::vector<float> actions;
  while (!step->is_last) {
    torch::Tensor a = expert->Act(*env, *step);
    actions.insert(actions.end(), a.data_ptr<float>(), a.data_ptr<float>() + 2);
    step = &env->Step(a);
  }
  return actions;
}

TEST(MpcExpert, TheSameSeedGivesTheSameActionsOnAnyThreadCount) {
  std::vector<float> one = Actions(1, 11, 12);
  EXPECT_EQ(one, Actions(2, 11, 12));
  EXPECT_EQ(one, Actions(3, 11, 12));
  EXPECT_NE(one, Actions(2, 12, 12));
}

// --- through the command line ---

TEST(MpcExpert, MakesPointMassDemosThroughTheCli) {
  std::string dir = testing::MakeTempDir("mpc_demos");
  testing::CliResult r = testing::RunCli(
      {"demos", "point_mass", "--expert", "mpc", "--count", "2", "--out", "d.h5", "--set",
       "environment.episode_length=20", "--set", "expert.samples=32", "--set", "expert.threads=2"},
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/d.h5"));
  // a misspelt expert parameter names itself
  r = testing::RunCli({"demos", "point_mass", "--expert", "mpc", "--count", "1", "--out", "e.h5",
                       "--set", "expert.sample=32"},
                      dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("expert.sample"), std::string::npos) << r.out << r.err;
}

// Baoding demos through the CLI on a tiny planning budget: the hand plans through its copies and
// the file holds the task's 40-D state, the 24 actions and the Baoding metrics.
TEST(MpcExpert, MakesBaodingDemosThroughTheCli) {
  std::string dir = testing::MakeTempDir("mpc_baoding");
  testing::CliResult r =
      testing::RunCli({"demos", "hand", "--expert", "mpc", "--count", "1", "--out", "b.h5", "--set",
                       "observation=[\"state\"]", "--set", "episode_length=3", "--set",
                       "expert.samples=8", "--set", "expert.horizon=2"},
                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = testing::RunCli({"demos", "info", "b.h5"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* expected : {"1 demos, 3 steps", "task = \"baoding\"", "[40]", "[24]",
                               "mean_target_distance", "dropped", "success"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << " in\n" << r.out;
  }
}

}  // namespace
}  // namespace imitate::plugins::mpc
