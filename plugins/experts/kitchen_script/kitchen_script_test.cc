// Fast tests of the kitchen_script expert driving the kitchen environment.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "plugins/experts/kitchen_script/kitchen_script_test_util.h"

namespace imitate::plugins::kitchen_script {
namespace {

const std::vector<std::string> kPaperTasks = {"microwave", "kettle", "light_switch",
                                              "slide_cabinet"};

TEST(KitchenScriptExpert, SupportsKitchen) {
  Pair p = MakePair(kPaperTasks);
  EXPECT_EQ(p.expert->SupportedEnvironments(), (std::vector<std::string>{"kitchen"}));
}

// each task alone (the rates are measured, against their targets, in kitchen_script_slow_test)
TEST(KitchenScriptExpert, CompletesSingleTasks) {
  for (const char* task : {"microwave", "kettle", "light_switch", "slide_cabinet", "hinge_cabinet",
                           "bottom_burner", "top_burner"}) {
    Pair p = MakePair({task});
    EXPECT_EQ(SuccessCount(p, 2000, 3, task), 3) << task;
  }
}

TEST(KitchenScriptExpert, CompletesThePaperTasks) {
  Pair p = MakePair(kPaperTasks);
  EXPECT_EQ(SuccessCount(p, 1000, 3, "paper tasks"), 3);
}

TEST(KitchenScriptExpert, SeedsMakeDemonstrationsDiffer) {
  Pair p = MakePair(kPaperTasks);
  // a few steps into the episode under two expert seeds, and again under the first
  auto actions = [&](uint64_t seed) {
    const TimeStep* step = &p.env->Reset(7);
    p.expert->Reset(*p.env, *step, seed);
    std::vector<torch::Tensor> out;
    for (int t = 0; t < 10; ++t) {
      out.push_back(p.expert->Act(*p.env, *step).clone());
      step = &p.env->Step(out.back());
    }
    return torch::stack(out);
  };
  torch::Tensor a = actions(1), b = actions(2);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{10, 9}));
  EXPECT_EQ(a.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(((a >= -1) & (a <= 1)).all().item<bool>());
  EXPECT_FALSE(torch::equal(a, b));
  EXPECT_TRUE(torch::equal(a, actions(1)));
}

TEST(KitchenScriptExpert, RejectsBadParameters) {
  EXPECT_THROW(MakePair(kPaperTasks, {{"damping", -1.0}}), ConfigError);
  EXPECT_THROW(MakePair(kPaperTasks, {{"speed", 5.0}}), ConfigError);
  EXPECT_THROW(test_support::MakePlugin<Expert>("kitchen_script", "expert",
                                                {{"tasks", std::vector<std::string>{"microwav"}}}),
               ConfigError);
}

}  // namespace
}  // namespace imitate::plugins::kitchen_script
