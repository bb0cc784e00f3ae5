// Fast tests of the kitchen_script expert driving the kitchen environment.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "imitate/testing/expert_conformance.h"
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

// the expert contract (actions in bounds, a seed repeats, two seeds differ), on one scene
TEST(KitchenScriptExpert, SeedsMakeDemonstrationsDiffer) {
  Pair p = MakePair(kPaperTasks);
  testing::ExpectExpertConforms(*p.env, *p.expert, /*steps=*/10, /*env_seed=*/7);
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
