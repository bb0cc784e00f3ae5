// The success-rate measurements of the kitchen_script expert (label "slow"): the paper's four
// tasks in 100 seeded episodes (>= 95%) and each of the seven tasks alone (>= 90%).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
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

// a measurement loop: KS_TASKS (comma-separated), KS_FIRST, KS_COUNT; run with
// --gtest_also_run_disabled_tests (KITCHEN_SCRIPT_TRACE=1 prints each segment's steps)
TEST(KitchenScriptExpertSlow, DISABLED_Measure) {
  std::vector<std::string> tasks;
  std::string list = std::getenv("KS_TASKS") ? std::getenv("KS_TASKS") : "microwave";
  for (size_t start = 0, end = 0; end != std::string::npos; start = end + 1) {
    end = list.find(',', start);
    tasks.push_back(list.substr(start, end == std::string::npos ? end : end - start));
  }
  int first = std::getenv("KS_FIRST") ? std::atoi(std::getenv("KS_FIRST")) : 0;
  int count = std::getenv("KS_COUNT") ? std::atoi(std::getenv("KS_COUNT")) : 10;
  Pair p = MakePair(tasks);
  int successes = 0;
  for (int i = 0; i < count; ++i) {
    Outcome out = RunEpisode(p, first + i);
    successes += out.success;
    std::printf("seed %d: %.0f tasks%s\n", first + i, out.tasks_completed,
                out.success ? "" : "  FAIL");
    std::fflush(stdout);
  }
  std::printf("%s: %d/%d\n", list.c_str(), successes, count);
}

}  // namespace
}  // namespace imitate::plugins::kitchen_script
