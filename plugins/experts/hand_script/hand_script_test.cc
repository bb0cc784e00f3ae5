// Fast tests of the hand_script expert driving the hand environment's relocate task.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "imitate/testing/expert_conformance.h"
#include "plugins/experts/hand_script/hand_script_expert.h"
#include "plugins/experts/hand_script/hand_script_test_util.h"
#include "tests/integration/cli_runner.h"

namespace imitate::plugins::hand_script {
namespace {

TEST(HandScriptExpert, SupportsHand) {
  Pair p = MakePair();
  EXPECT_EQ(p.expert->SupportedEnvironments(), (std::vector<std::string>{"hand"}));
}

// the ball leaves the table early and the episode succeeds (the rate is measured in
// hand_script_slow_test)
TEST(HandScriptExpert, LiftsAndRelocatesTheBall) {
  Pair p = MakePair();
  for (uint64_t seed : {0, 1, 2}) {
    const Outcome out = RunEpisode(p, seed);
    EXPECT_GT(out.lifted_at, 0) << "seed " << seed;
    EXPECT_LT(out.lifted_at, 140) << "seed " << seed;
    EXPECT_TRUE(out.success) << "seed " << seed << ": goal steps " << out.goal_steps
                             << ", final distance " << out.final_distance;
  }
}

// the phases follow each other in order and end in the hold
TEST(HandScriptExpert, GoesThroughThePhasesInOrder) {
  // the expert compiled into this test (its phase is not part of the Expert interface)
  Pair p = MakePair();
  HandScriptExpert expert(Params::Make("expert", HandScriptExpert::Specs(), {}));
  const TimeStep* step = &p.env->Reset(3);
  expert.Reset(*p.env, *step, 3);
  std::vector<Phase> seen = {expert.phase()};
  while (!step->is_last) {
    step = &p.env->Step(expert.Act(*p.env, *step));
    if (expert.phase() != seen.back()) seen.push_back(expert.phase());
  }
  EXPECT_EQ(seen, (std::vector<Phase>{Phase::kApproach, Phase::kDescend, Phase::kClose,
                                      Phase::kCarry, Phase::kHold}));
}

// the expert contract (actions in bounds, a seed repeats, two seeds differ), on one scene
TEST(HandScriptExpert, SeedsMakeDemonstrationsDiffer) {
  Pair p = MakePair();
  testing::ExpectExpertConforms(*p.env, *p.expert, /*steps=*/10, /*env_seed=*/7);
}

TEST(HandScriptExpert, RejectsOtherTasks) {
  for (const char* task : {"baoding", "door"}) {
    Pair p = MakePair(task);
    const TimeStep& first = p.env->Reset(0);
    const std::string message = test_support::ErrorOf([&] { p.expert->Reset(*p.env, first, 0); });
    EXPECT_NE(message.find("relocate"), std::string::npos) << message;
    EXPECT_NE(message.find(task), std::string::npos) << message;
    EXPECT_THROW(p.expert->Reset(*p.env, first, 0), ConfigError);
  }
}

TEST(HandScriptExpert, ActBeforeResetIsAUsageError) {
  Pair p = MakePair();
  const TimeStep& first = p.env->Reset(0);
  EXPECT_THROW(p.expert->Act(*p.env, first), UsageError);
}

TEST(HandScriptExpert, RejectsBadParameters) {
  EXPECT_THROW(MakePair("relocate", {{"speed", 5.0}}), ConfigError);
  EXPECT_THROW(MakePair("relocate", {{"stiffness", 0.0}}), ConfigError);
}

// --- through the command line: the demo file's layout ---

// `imitate demos hand` writes both observation keys with the task's shapes, the 30 relocate
// actions and the per-demo metrics, and `demos info` reads them back.
TEST(HandScriptExpert, MakesRelocateDemosThroughTheCli) {
  std::string dir = testing::MakeTempDir("hand_demos");
  testing::CliResult r =
      testing::RunCli({"demos", "hand", "--expert", "hand_script", "--count", "1", "--seed", "3",
                       "--out", "relocate.h5", "--set", "environment.task=relocate", "--set",
                       "observation=[\"state\", \"pixels\"]", "--set", "image_size=32"},
                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(std::filesystem::exists(dir + "/relocate.h5"));
  r = testing::RunCli({"demos", "info", "relocate.h5"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* expected : {"1 demos, 200 steps", "task = \"relocate\"", "state", "[39]",
                               "pixels", "uint8", "[32, 32, 3]", "[30]", "goal_steps", "success"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << " in\n" << r.out;
  }
}

}  // namespace
}  // namespace imitate::plugins::hand_script
