// The success-rate measurements of the kitchen_script expert (label "slow"): the paper's four
// tasks in 100 seeded episodes (>= 95%) and each of the seven tasks alone (>= 90%).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugins/experts/kitchen_script/kitchen_script_test_util.h"

namespace imitate::plugins::kitchen_script {
namespace {

constexpr int kSingleTaskEpisodes = 30;

TEST(KitchenScriptExpertSlow, PaperTasksInAtLeast95Of100Episodes) {
  Pair p = MakePair({"microwave", "kettle", "light_switch", "slide_cabinet"});
  EXPECT_GE(SuccessCount(p, 0, 100, "microwave+kettle+light_switch+slide_cabinet"), 95);
}

TEST(KitchenScriptExpertSlow, EachTaskAloneInAtLeast90Percent) {
  for (const char* task : {"microwave", "kettle", "light_switch", "slide_cabinet", "hinge_cabinet",
                           "bottom_burner", "top_burner"}) {
    Pair p = MakePair({task});
    int successes = SuccessCount(p, 0, kSingleTaskEpisodes, task);
    EXPECT_GE(successes, 0.9 * kSingleTaskEpisodes) << task;
  }
}

}  // namespace
}  // namespace imitate::plugins::kitchen_script
