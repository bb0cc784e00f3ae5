// Helpers shared by the hand_script tests: relocate episodes of the hand_script expert in the
// hand environment, both loaded from their built plugins through the real loader.
#ifndef IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_HAND_SCRIPT_TEST_UTIL_H_
#define IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_HAND_SCRIPT_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/expert.h"
#include "imitate/sdk/mujoco/mujoco_environment.h"
#include "plugins/environments/hand/hand_layout.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::hand_script {

using Given = std::map<std::string, ParamValue>;

// A hand environment (task `task`, state observations) and a hand_script expert.
struct Pair {
  std::unique_ptr<Environment> env;
  std::unique_ptr<Expert> expert;
};

inline Pair MakePair(const std::string& task = "relocate", const Given& expert_params = {}) {
  Pair p;
  p.env = test_support::MakePlugin<Environment>(
      "hand", "environment", {{"task", task}, {"observation", std::vector<std::string>{"state"}}});
  p.expert = test_support::MakePlugin<Expert>("hand_script", "expert", expert_params);
  return p;
}

// One demonstration: the env's success and goal steps, the ball's highest point, the step at
// which it first rose above `lift_height` (-1: never) and its final distance to the target.
struct Outcome {
  bool success = false;
  double goal_steps = 0;
  double max_ball_z = 0;
  int lifted_at = -1;
  double final_distance = 0;
  int steps = 0;
};

inline Outcome RunEpisode(Pair& p, uint64_t seed, double lift_height = 0.1) {
  const TimeStep* step = &p.env->Reset(seed);
  p.expert->Reset(*p.env, *step, seed);
  const auto& mj = dynamic_cast<const MujocoEnvironment&>(*p.env);
  const int ball = mj_name2id(mj.Model(), mjOBJ_BODY, hand::kRelocateBallBody);
  Outcome out;
  while (!step->is_last) {
    step = &p.env->Step(p.expert->Act(*p.env, *step));
    ++out.steps;
    const double z = mj.Data()->xpos[3 * ball + 2];
    out.max_ball_z = std::max(out.max_ball_z, z);
    if (out.lifted_at < 0 && z > lift_height) out.lifted_at = out.steps;
  }
  out.success = step->metrics.at("success") == 1.0;
  out.goal_steps = step->metrics.at("goal_steps");
  out.final_distance = step->metrics.at("ball_target_distance");
  return out;
}

// Successes over seeds [first, first + count); prints every failure and the rate.
inline int SuccessCount(Pair& p, uint64_t first, int count) {
  int successes = 0;
  for (int i = 0; i < count; ++i) {
    const Outcome out = RunEpisode(p, first + i);
    successes += out.success;
    if (!out.success) {
      std::printf(
          "hand_script seed %d failed: goal steps %.0f, ball max z %.3f, final distance "
          "%.3f\n",
          static_cast<int>(first + i), out.goal_steps, out.max_ball_z, out.final_distance);
    }
  }
  std::printf("hand_script relocate: success %d/%d (%.1f%%)\n", successes, count,
              100.0 * successes / count);
  std::fflush(stdout);
  return successes;
}

}  // namespace imitate::plugins::hand_script

#endif  // IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_HAND_SCRIPT_TEST_UTIL_H_
