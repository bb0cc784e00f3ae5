#include "imitate/testing/expert_conformance.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

namespace imitate::testing {
namespace {

// the expert's actions over `steps` steps from env.Reset(env_seed), stacked [steps, A]
torch::Tensor EpisodeActions(Environment& env, Expert& expert, int steps, uint64_t env_seed,
                             uint64_t expert_seed) {
  const TimeStep* step = &env.Reset(env_seed);
  expert.Reset(env, *step, expert_seed);
  std::vector<torch::Tensor> actions;
  for (int t = 0; t < steps && !step->is_last; ++t) {
    actions.push_back(expert.Act(env, *step).clone());
    step = &env.Step(actions.back());
  }
  return torch::stack(actions);
}

}  // namespace

void ExpectExpertConforms(Environment& env, Expert& expert, int steps, uint64_t env_seed,
                          bool seeds_differ) {
  EXPECT_FALSE(expert.SupportedEnvironments().empty());
  const Space& space = env.ActionSpec();
  torch::Tensor a = EpisodeActions(env, expert, steps, env_seed, 1);
  ASSERT_EQ(a.dim(), 2);
  EXPECT_EQ(a.size(1), space.Size());
  EXPECT_EQ(a.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::isfinite(a).all().item<bool>());
  EXPECT_TRUE(((a >= space.low) & (a <= space.high)).all().item<bool>())
      << "actions outside the action space [" << space.low << ", " << space.high << "]";
  EXPECT_TRUE(torch::equal(a, EpisodeActions(env, expert, steps, env_seed, 1)))
      << "the same expert seed gave different actions";
  if (seeds_differ) {
    EXPECT_FALSE(torch::equal(a, EpisodeActions(env, expert, steps, env_seed, 2)))
        << "two expert seeds gave the same actions";
  }
}

}  // namespace imitate::testing
