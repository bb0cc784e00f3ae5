// Tests of the point_mass expert driving the point_mass environment, both loaded from their
// built plugins through the real loader.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "engine/plugins/loader.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"
#include "plugins/environments/point_mass/point_mass_model.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::point_mass {
namespace {

using Given = std::map<std::string, ParamValue>;

template <typename T>
std::unique_ptr<T> Make(const std::string& table, const Given& given = {}) {
  return test_support::MakePlugin<T>("point_mass", table, given);
}

// one demonstration: the final step's success, and the first step with success (or -1)
struct Outcome {
  bool success = false;
  int first_success = -1;
};

Outcome RunEpisode(Environment& env, Expert& expert, uint64_t seed) {
  const TimeStep* step = &env.Reset(seed);
  expert.Reset(env, *step, seed);
  Outcome out;
  for (int t = 1; !step->is_last; ++t) {
    step = &env.Step(expert.Act(env, *step));
    if (out.first_success < 0 && step->metrics.at("success") == 1.0) out.first_success = t;
  }
  out.success = step->metrics.at("success") == 1.0;
  return out;
}

TEST(PointMassExpert, SupportsPointMass) {
  auto expert = Make<Expert>("expert");
  EXPECT_EQ(expert->SupportedEnvironments(), (std::vector<std::string>{"point_mass"}));
}

TEST(PointMassExpert, ReachesTheTargetInAtLeast99Of100Episodes) {
  auto env = Make<Environment>("environment");
  auto expert = Make<Expert>("expert");
  int successes = 0, reached = 0;
  double steps_to_reach = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    Outcome out = RunEpisode(*env, *expert, seed);
    successes += out.success;
    if (out.first_success >= 0) {
      ++reached;
      steps_to_reach += out.first_success;
    }
  }
  std::printf(
      "point_mass expert: success rate %d/100; first within 1 cm after %.1f of %lld "
      "steps on average\n",
      successes, reached ? steps_to_reach / reached : -1.0,
      static_cast<long long>(env->EpisodeLength()));
  EXPECT_GE(successes, 99);
}

TEST(PointMassExpert, SeedsMakeDemonstrationsDiffer) {
  auto env = Make<Environment>("environment");
  auto expert = Make<Expert>("expert");
  // the target 3 cm away (unsaturated actions), two expert seeds: different gains and actions
  const TimeStep& first = env->Reset(5);
  SimState s = env->GetState();
  s[kStateTarget] = s[kStateQpos] + 0.03;
  s[kStateTarget + 1] = s[kStateQpos + 1] - 0.02;
  env->SetState(s);
  expert->Reset(*env, first, 1);
  torch::Tensor a = expert->Act(*env, first);
  expert->Reset(*env, first, 2);
  torch::Tensor b = expert->Act(*env, first);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{2}));
  EXPECT_EQ(a.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(((a >= -1) & (a <= 1)).all().item<bool>());
  EXPECT_FALSE(torch::equal(a, b));
  // the same seed: the same action
  expert->Reset(*env, first, 1);
  EXPECT_TRUE(torch::equal(a, expert->Act(*env, first)));
}

TEST(PointMassExpert, NoiseStillSucceedsMostly) {
  auto env = Make<Environment>("environment");
  auto noisy = Make<Expert>("expert", {{"noise", 0.1}});
  auto clean = Make<Expert>("expert");
  const TimeStep& first = env->Reset(6);
  noisy->Reset(*env, first, 3);
  clean->Reset(*env, first, 3);
  EXPECT_FALSE(torch::equal(noisy->Act(*env, first), clean->Act(*env, first)));
  int successes = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) successes += RunEpisode(*env, *noisy, seed).success;
  std::printf("point_mass expert with noise 0.1: success rate %d/20\n", successes);
}

TEST(PointMassExpert, RejectsBadParameters) {
  EXPECT_THROW(Make<Expert>("expert", {{"noise", -1.0}}), ConfigError);
  EXPECT_THROW(Make<Expert>("expert", {{"gain", 1.0}}), ConfigError);
}

}  // namespace
}  // namespace imitate::plugins::point_mass
